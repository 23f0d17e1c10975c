import os, sys
os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np, keras
rng = np.random.default_rng(0)
x = rng.normal(size=(6000, 64)).astype("float32"); y = (x[:, 0] > 0).astype("int32")
m = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu"), keras.layers.Dense(2, activation="softmax")])
m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x, y, batch_size=64, epochs=4, validation_split=0.1, verbose=int(sys.argv[1]))
