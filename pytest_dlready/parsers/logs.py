"""Training logs people actually have -> epochs, the ``time`` block and device banners.

The speedup verdict is only as good as the timings it is fed, and most people asking
"why is my GPU slower than my CPU?" have no profiler output, only a pasted console log:
nolearn/gdbn's DBN epochs, Keras 1/2/3 progress bars, Lasagne's ``Epoch 1 of 82 took``,
the shell's ``time`` block, and the banners where Theano, TensorFlow, CNTK, gnumpy or
JAX say which device they picked (or that they fell back to the CPU). This module turns
such a log into epochs and signals that replay packs into a ``RunResult``, so a
pasted log is judged by exactly the same verdict as a live run.

Logs are hostile input: CRLF, ANSI colours, ``\\r`` progress bars, timestamps, wrapped
lines, truncation mid-epoch. Nothing here raises; what it finds is judged in checks. Device
banners live in ``log_banners`` to keep both modules small.
"""
from __future__ import annotations

import json
import math
import re
import statistics
from typing import Any, Dict, List, Optional, Tuple

from . import common, framework_log, log_banners

KIND = "training-log"

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
METRIC = re.compile(r"\b([A-Za-z_][\w]*):\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|nan|inf)\b", re.I)
COUNT = re.compile(r"^\s*(\d+)/(\d+|Unknown)\b")
PER_STEP = re.compile(r"(\d+(?:\.\d+)?)(us|µs|ms|s)/step\b")
KERAS_HEADER = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
NOLEARN_HEADER = re.compile(r"^\s*Epoch (\d+):\s*$")
NOLEARN_VALUE = re.compile(r"^\s*(loss|err)\s+(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*$", re.I)
NOLEARN_TIME = re.compile(r"^\s*\((?:(\d+) days?, )?(\d+):(\d\d):(\d\d)(?:\.(\d+))?\)\s*$")
LASAGNE = re.compile(r"Epoch (\d+) of (\d+) took (\d+(?:\.\d+)?)s")
# nolearn.lasagne's NeuralNet table: "  epoch    train loss    valid loss    train/val    valid acc  dur" (0.6)
# or "  Epoch  |  Train loss  |  Valid loss  |  Train / Val  |  Valid acc  |  Dur" (older), one row per epoch
NOLEARN_TABLE_HEAD = re.compile(r"^\s*epoch\s+\|?\s*train loss\s+\|?\s*valid loss\b", re.I)
# Cells and separators cannot overlap (a cell holds no space or '|'; a separator is spaces around
# at most one '|'), so a line splits one way only: "\s+\|?\s*" between "\S" cells split a row of
# 14 wide columns so many ways that one 438-byte Chainer report took > 30 min (blind round 9).
_CELL, _SEP = r"([^\s|]{1,40})", r"(?:\s*\|\s*|\s+)"
NOLEARN_TABLE_ROW = re.compile(rf"^\s*(\d{{1,7}}){_SEP}{_CELL}{_SEP}{_CELL}{_SEP}{_CELL}"
                               rf"((?:{_SEP}[^\s|]{{1,40}}){{0,8}}?){_SEP}(\d{{1,9}}(?:\.\d+)?)s\s*$")
LASAGNE_VALUE = re.compile(r"^\s*(training loss|validation loss|validation accuracy):\s*(-?\d+(?:\.\d+)?)\s*(%?)")
DLREADY = re.compile(r"DLREADY-EPOCH\s+(\{.*\})")
#: pytorch/examples (mnist, imagenet-style loops): progress lines, then the epoch's test line; no times
TORCH_TRAIN = re.compile(r"^\s*Train Epoch: (\d+) \[(\d+)/(\d+) \((\d+(?:\.\d+)?)%\)\]\s+Loss: (-?[\d.]+(?:e[-+]?\d+)?|nan|inf)", re.I)
TORCH_TEST = re.compile(r"^\s*Test set: Average loss: (-?[\d.]+(?:e[-+]?\d+)?|nan|inf), Accuracy: (\d+)/(\d+) \((\d+(?:\.\d+)?)%\)", re.I)
from .common import MAX_LINE  # noqa: E402
UNIT_SECONDS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
# Keras prints whole seconds: below this the per-step figure (steps x time/step) is the finer clock.
COARSE_SECONDS = 10.0


normalise = common.terminal_lines  # noqa: E305 - one normalisation for every log kind


def _number(text: str) -> Optional[float]:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def _metrics(line: str) -> Dict[str, float]:
    out: Dict[str, float] = {}
    for name, value in METRIC.findall(line):
        number = _number(value)
        if number is not None:
            out[name] = number
    return out


def _keras_line(line: str) -> Optional[Dict[str, Any]]:
    """One finished Keras progress line (1/2/3, verbose 1 or 2) -> epoch dict, else None."""
    if "ETA" in line:
        return None
    # (a model with its own train_step may print no loss: "32/32 [====] - 4s 116ms/step - sparse_categorical_accuracy: 0.2")
    bare = "loss" not in line and bool(COUNT.match(line)) and " - " in line and PER_STEP.search(line[:2000]) is not None
    if "loss" not in line and not bare:
        return None
    if len(PER_STEP.findall(line)) > 1:  # a bar's redraws run together (carriage returns lost): its last one counts
        counts = re.findall(r"(\d+)/(\d+) \[", line)
        if not counts or counts[-1][0] != counts[-1][1]:
            return None
        line = line[line.rfind(f"{counts[-1][0]}/{counts[-1][1]} ["):]
    metrics = _metrics(line)
    raw = dict(METRIC.findall(line))
    if not any("loss" in k for k in raw) and not (bare and raw):  # a NaN loss is still an epoch (the run diverged)
        return None
    count = COUNT.match(line)
    if count and count.group(2) != "Unknown" and count.group(1) != count.group(2):
        return None  # a bar still filling
    head = line.split(":", 1)[0]  # the time token precedes the first metric
    head = head.rsplit(" ", 1)[0] if ":" in line else head
    seconds = None
    for match in re.finditer(r"(?:^|[\s\]━-])(\d+(?:\.\d+)?)s(?=\s|$)", head):
        seconds = _number(match.group(1))
        break
    per = PER_STEP.search(line)
    if seconds is None and per is None:
        return None
    epoch: Dict[str, Any] = {"seconds": seconds}
    if per and count and count.group(2) != "Unknown":
        steps = int(count.group(2))
        by_steps = steps * float(per.group(1)) * UNIT_SECONDS[per.group(2)]
        # whole seconds are too coarse for short epochs; N x time/step is the same clock, finer
        # ... but N x time/step counts the training steps only: with validation metrics on the line the
        # printed time (training + validation) is the epoch's, as Keras 3 prints `2s 3ms/step - ... val_loss`
        # (a printed "0s" says only "under a second": then the finer clock is all there is)
        validated = "val_" in line and seconds is not None and seconds >= 1.0
        if seconds is None or (seconds < COARSE_SECONDS and abs(by_steps - seconds) <= 1.0 and not validated):
            epoch["seconds"] = round(by_steps, 6)
            epoch["seconds_from"] = "steps x time/step"
        epoch["steps"] = steps
    if count:
        epoch["of"] = count.group(2)
    if epoch["seconds"] is None:
        return None
    epoch.update(_pick_metrics(metrics))
    if str(raw.get("loss", "")).lower() == "nan":
        epoch["loss_nan"] = True
    return epoch


def _pick_metrics(metrics: Dict[str, float]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"metrics": metrics}
    for key in ("loss", "val_loss"):
        if key in metrics:
            out[key] = metrics[key]
    for key in ("accuracy", "acc", "binary_accuracy", "categorical_accuracy"):
        if key in metrics:
            out["accuracy"] = metrics[key]
            break
    for key in ("val_accuracy", "val_acc"):
        if key in metrics:
            out["val_accuracy"] = metrics[key]
            break
    return out


def _keras_epochs(lines: List[str]) -> Tuple[List[Dict[str, Any]], bool]:
    """Epochs from Keras output; the flag says the log stops inside an epoch."""
    epochs: List[Dict[str, Any]] = []
    current: Optional[int] = None
    pending: Optional[Dict[str, Any]] = None
    saw_progress = False
    headers = 0
    for line in lines:
        header = KERAS_HEADER.match(line)
        if header:
            headers += 1
            if pending is not None:
                epochs.append(pending)
            current, pending, saw_progress = int(header.group(1)), None, False
            continue
        if "ETA" in line and COUNT.match(line):
            saw_progress = True
        found = _keras_line(line)
        if found is None:
            continue
        if current is None:  # no headers (old verbose=2 runs, excerpts): every finished line is an epoch
            found["epoch"] = len(epochs) + 1
            epochs.append(found)
            continue
        found["epoch"] = current
        if pending is not None and found.get("of") != pending.get("of"):
            continue  # model.evaluate()/predict() bars after the epoch are not the epoch
        found["_line"] = line.strip()
        pending = found  # the last finished line of an epoch is its summary
        saw_progress = False
    cut_short = False
    if pending is not None:
        # the log ends inside the epoch's own summary line ("... - loss: 3.2530 - accuracy: 0.857" where every
        # earlier epoch went on to "- val_loss: ...", "... - val_loss: 0.72 - va"): that epoch did not finish in this text
        last = next((line for line in reversed(lines) if line.strip()), "")
        shown = [_metric_names(e) for e in epochs]
        every = set.intersection(*shown) if shown else set()
        cut_short = (bool(epochs) and bool(every - _metric_names(pending))
                     and _keras_line(last) is not None and last.strip() == pending.get("_line"))
        if not cut_short:
            epochs.append(pending)
    for e in epochs:
        e.pop("_line", None)
    truncated = cut_short or bool(headers) and (pending is None and current is not None or saw_progress)
    return epochs, truncated


def _metric_names(epoch: Dict[str, Any]) -> set:
    """The metrics a Keras summary line printed, by name (a NaN value is printed too)."""
    line = epoch.get("_line")
    return set(re.findall(r" - (\w+): ", line[:2000])) if line else set(epoch.get("metrics") or ())


def _nolearn_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    epochs: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None
    for line in lines:
        header = NOLEARN_HEADER.match(line)
        if header:
            current = {"epoch": int(header.group(1))}
            continue
        if current is None:
            continue
        value = NOLEARN_VALUE.match(line)
        if value:
            current[value.group(1).lower()] = _number(value.group(2))
            continue
        clock = NOLEARN_TIME.match(line)
        if clock:
            days, h, m, s, frac = clock.groups()
            seconds = int(days or 0) * 86400 + int(h) * 3600 + int(m) * 60 + int(s)
            if frac:
                seconds += float("0." + frac)
            current["seconds"] = float(seconds)
            current["resolution_s"] = 1.0 if not frac else 10 ** -len(frac)
            epochs.append(current)
            current = None
    return epochs


def _lasagne_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    epochs: List[Dict[str, Any]] = []
    for line in lines:
        match = LASAGNE.search(line)
        if match:
            epochs.append({"epoch": int(match.group(1)), "seconds": float(match.group(3))})
            continue
        value = LASAGNE_VALUE.match(line)
        if value and epochs:
            key = {"training loss": "loss", "validation loss": "val_loss",
                   "validation accuracy": "val_accuracy"}[value.group(1)]
            number = _number(value.group(2))
            if number is not None and value.group(3):
                number /= 100.0
            epochs[-1][key] = number
    return epochs


# one line per finished epoch with its time, as many training scripts print them:
#   "End of epoch 319 / 500000 \t Time Taken: 4.8464 sec" (CycleGAN/pix2pix/BasicSR style)
#   "Finished Epoch[ 1 of 2]: [Training] ce = 1.57 * 60000; err = 0.41 * 60000; totalSamplesSeen = 60000; ...
#    epochTime=12.3s" (CNTK)
#   "Epoch 01 loss 75.6049 | train 2.6s", "Epoch 3: loss=0.12 time=4.1s", "epoch 2 took 3.2 s"
EPOCH_TIMED = (
    # "Training Epoch:[423/1500]\t loss=2.85125\t lr=0.0001\t epoch_time=58.716" (behind a logging prefix)
    re.compile(r"\bEpoch\s*:?\s*\[\s*(\d{1,9})\s*/\s*\d+\s*\][^\n]{0,300}?\bepoch_time\s*[:=]\s*(\d+(?:\.\d+)?)s?\b", re.I),
    re.compile(r"End of epoch (\d{1,9})(?: / \d+)?\s+Time Taken:\s*(\d+(?:\.\d+)?)\s*sec", re.I),
    re.compile(r"Finished Epoch ?\[\s*(\d{1,9})(?: of \d+)?\]:.{0,400}?(?:epochTime\s*=\s*(\d+(?:\.\d+)?)s?\b|"
               r"\s(\d+(?:\.\d+)?)s\b)", re.I),
    # "[1/20] - ptime: 372.38, loss_d: 0.597, loss_g: 5.759" (the popular PyTorch GAN examples)
    re.compile(r"^\s*\[(\d{1,9})/\d+\] - ptime: (\d+(?:\.\d+)?)"),
    re.compile(r"^\s*epoch[:\s]\s*(\d{1,9})\b(?!/| of)[^\n]{0,200}?\b(?<!iter )(?<!step )(?<!batch )(?<!data )(?<!val_)"
               r"(?:time|took|train|elapsed|duration)\b"
               r"[:=]?\s*(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)\b", re.I),
)


def _timed_line_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """Epochs printed one line each, with their time (see EPOCH_TIMED); an epoch number seen again is not new."""
    epochs: List[Dict[str, Any]] = []
    seen = set()
    for line in lines:
        for pattern in EPOCH_TIMED:
            m = pattern.search(line[:2000])
            if not m:
                continue
            number = int(m.group(1))
            if number not in seen:
                seen.add(number)
                epoch: Dict[str, Any] = {"epoch": number, "seconds": float(next(g for g in m.groups()[1:] if g))}
                loss = re.search(r"\bloss\b[\s:=]*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan)", line, re.I)
                if loss:
                    epoch["loss"] = _number(loss.group(1))
                    if loss.group(1).lower() == "nan":
                        epoch["loss_nan"] = True
                epochs.append(epoch)
            break
    return epochs


def _nolearn_table_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """nolearn.lasagne's epoch table: the rows after its header (losses, ratio, accuracy, duration)."""
    epochs: List[Dict[str, Any]] = []
    accuracy = False
    in_table = False
    for line in lines:
        if NOLEARN_TABLE_HEAD.match(line):
            in_table, accuracy = True, "valid acc" in line.lower()
            continue
        if not in_table:
            continue
        m = NOLEARN_TABLE_ROW.match(line)
        if not m:
            continue
        epoch: Dict[str, Any] = {"epoch": int(m.group(1)), "seconds": float(m.group(6)),
                                 "loss": _number(m.group(2)), "val_loss": _number(m.group(3))}
        if m.group(2).lower() == "nan":
            epoch["loss_nan"] = True
        extra = m.group(5).replace("|", " ").split()
        if accuracy and extra:
            value = extra[0].rstrip("%")
            number = _number(value)
            if number is not None and extra[0].endswith("%"):
                number /= 100.0
            epoch["val_accuracy"] = number
        epochs.append(epoch)
    return epochs


#: fastai's fit table: "epoch  train_loss  valid_loss  accuracy  time" then "0  0.360149  0.329587  0.846702  00:04",
#: also as a Markdown/HTML-to-text table with '|' between cells (notebooks, docs); Chainer's PrintReport:
#: "epoch  iteration  main/loss  validation/main/loss  elapsed_time" then "1  356  31.2785  26.5542  114.618" (its
#: epoch column counts epochs completed, its time is cumulative; a wide header wraps: "elapsed_" / "time")
FASTAI_SPLIT = re.compile(r"\s*\|\s*|\s+")
FASTAI_CLOCK = re.compile(r"^\d{1,3}:\d\d(?::\d\d)?$")
TABLE_LOSS_COLUMNS = ("train_loss", "main/loss")


def _fastai_cells(line: str) -> List[str]:
    return [cell for cell in FASTAI_SPLIT.split(line[:2000].strip()) if cell]


def _table_header(lines: List[str], i: int) -> Optional[List[str]]:
    line = lines[i]
    if "epoch" not in line or not any(column in line for column in TABLE_LOSS_COLUMNS):
        return None
    cells = _fastai_cells(line)
    if cells[-1:] == ["elapsed_"] and i + 1 < len(lines) and lines[i + 1].strip() == "time":
        cells[-1] = "elapsed_time"
    if cells[:1] == ["epoch"] and any(c in cells for c in TABLE_LOSS_COLUMNS) and cells[-1] in ("time", "elapsed_time"):
        return cells
    return None


def _epoch_table_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """One epoch per row of a fastai fit table (its time the row's last cell), or per epoch a Chainer report's
    rows reach (the time between the elapsed times of two epochs' first rows)."""
    epochs: List[Dict[str, Any]] = []
    columns: Optional[List[str]] = None
    last_elapsed = 0.0
    for i, line in enumerate(lines):
        header = _table_header(lines, i)
        if header:
            columns, last_elapsed = header, 0.0
            continue
        if columns is None:
            continue
        cells = _fastai_cells(line)
        if len(cells) != len(columns) or not cells[0].isdigit():
            continue
        row = dict(zip(columns, cells))
        loss_column = next(c for c in TABLE_LOSS_COLUMNS if c in row)
        epoch: Dict[str, Any] = {"epoch": int(cells[0]), "loss": _number(row[loss_column])}
        for key in ("valid_loss", "validation/main/loss"):
            if key in row:
                epoch["val_loss"] = _number(row[key])
        if str(row[loss_column]).lower() == "nan":
            epoch["loss_nan"] = True
        if columns[-1] == "time":
            if not FASTAI_CLOCK.match(cells[-1]):
                continue
            epoch["seconds"] = _clock(cells[-1])
        else:
            elapsed = _number(cells[-1])
            if elapsed is None or epoch["epoch"] == 0 or any(e["epoch"] == epoch["epoch"] for e in epochs):
                continue  # a row of an epoch under way, or another row of one already counted
            epoch["seconds"] = round(elapsed - last_elapsed, 6)
            last_elapsed = elapsed
        epochs.append(epoch)
    return epochs


def _dlready_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    epochs = []
    for line in lines:
        match = DLREADY.search(line)
        if not match:
            continue
        try:
            data = json.loads(match.group(1))
        except ValueError:
            continue
        seconds = _number(data.get("seconds")) if isinstance(data, dict) else None
        if seconds is None:
            continue
        epoch = {"epoch": data.get("epoch", len(epochs) + 1), "seconds": seconds}
        loss = _number(data.get("loss"))
        if loss is not None:
            epoch["loss"] = loss
        epochs.append(epoch)
    return epochs


def _torch_example_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """pytorch/examples epochs: an epoch is done when its ``Test set:`` line or the next epoch's first
    ``Train Epoch:`` line is printed. These logs print no times: ``seconds`` is None (untimed)."""
    epochs: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None
    for line in lines:
        train = TORCH_TRAIN.match(line)
        if train:
            number = int(train.group(1))
            if current is not None and number != current["epoch"]:
                epochs.append(current)  # the next epoch began: the last one finished (no test pass)
                current = None
            if current is None:
                current = {"epoch": number, "seconds": None, "untimed": True}
            current["loss"] = _number(train.group(5))
            if train.group(5).lower() == "nan":
                current["loss_nan"] = True
            continue
        test = TORCH_TEST.match(line)
        if test and current is not None:
            current["val_loss"] = _number(test.group(1))
            current["val_accuracy"] = float(test.group(4)) / 100.0
            epochs.append(current)
            current = None
    return epochs


# -- epochs told by progress lines: what many scripts print instead of a summary per epoch ----------------
#: "Epoch: [0] Total time: 1:52:18" (torchvision/timm/DeiT MetricLogger): the epoch's end and its time
PROGRESS_TOTAL = re.compile(r"\bEpoch: \[(\d{1,7})\]\s+Total time: (\d+(?::\d\d){1,2}(?:\.\d+)?)")
#: "Epoch: [0]  [1480/1504]  lr: ..." (MetricLogger's step line)
PROGRESS_STEP_ML = re.compile(r"\bEpoch: \[(\d{1,7})\]\s*\[\s*(\d+)/(\d+)\]")
#: a tqdm bar of an epoch: "Epoch 0: 100%|██████████| 1875/1875 [00:15<00:00, ...]" (Lightning, many scripts; the bar
#: itself may be missing: "Epoch 0: 100% 2/2 [00:00<00:00, ...]")
PROGRESS_BAR = re.compile(r"\bEpoch (\d{1,7})(?:/\d+)?:?\s+(\d{1,3})%(?:\\?\|[^|]{0,200}\|)?\s*(\d+)/(\d+) \[(\d+(?::\d\d){1,2})<")
#: a tqdm bar with no epoch in it (under an "EPOCH: 3" header): progress of the current epoch
PROGRESS_BAR_ANY = re.compile(r"(\d{1,3})%\\?\|[^|]{0,200}\|\s*(\d+)/(\d+) \[(\d+(?::\d\d){1,2})<")
#: an epoch's header alone on its line ("EPOCH: 3", "Epoch 0"), also glued after a bar ("...?it/s]EPOCH: 0")
PROGRESS_HEADER = re.compile(r"(?:^\s*(?:[*#=>-]+\s*)?(?:Training |Train )?|\]\s*)(?:EPOCH|Epoch|epoch)\s?:?\s+(\d{1,7})"
                             r"(?:\s*/\s*\d{1,7})?\s*(?:\.\.\.|\u2026)?\s*(?:[*#=-]+\s*)?$")
#: an epoch's end without its number: "Epoch took 338.5 seconds", "Test set: Average loss: 0.0779, ..."
PROGRESS_TOOK = re.compile(r"(?:^|:\s)\s*(?:Epoch took|This epoch took|Time taken for (?:1|one) epoch:?)\s*(\d+(?:\.\d+)?)\s*"
                           r"(?:s|sec|secs|seconds)\b|^\s*Epoch Time\(s\):\s*(\d+(?:\.\d+)?)\s*$", re.I)
PROGRESS_TEST = re.compile(r"^\s*Test set: Average loss:", re.I)
#: a script's line after its last epoch: "Training completed.", "Finished Training", "Training finished"
RUN_END = re.compile(r"^\s*(?:Training (?:is )?(?:completed?|finished|done)|Finished [Tt]raining)\b[.!]?", re.I)
#: a step of an epoch: "Epoch [1/5], Step [100/600], Loss: 0.2", "epoch 3 iter 200/1000 loss ...",
#: "Train Epoch: 0, Loss: 0.13, throughput: ..." (a script's own), the tutorial's "[1,  2000] loss: 2.191"
PROGRESS_STEP = re.compile(r"^\s*(?:\d[\d/:.,-]*\s+){0,2}(?:\[[^\]]{0,40}\]\s*){0,3}(?:Train )?epoch\s*[:=#]?\s*\[?\s*(\d{1,7})\s*(?:/\s*\d+\s*)?\]?"
                           r"[^\n]{0,80}?\b(?:step|iter(?:ation)?|batch)\b\s*[:=#]?\s*\[?\s*(\d+)\s*/\s*(\d+)", re.I)
PROGRESS_TRAIN_EPOCH = re.compile(r"^\s*Train Epoch: (\d{1,7}),")
PROGRESS_TUTORIAL = re.compile(r"^\s*\[\s*(\d{1,7}),\s+(\d+)\]:?\s+loss\b", re.I)
PROGRESS_TUTORIAL_END = re.compile(r"^\s*\[\s*(\d{1,7})\s*/\s*\d+\s*\]:")
#: an epoch's one summary line: "epoch 1, loss 0.0423", "Epoch 3/10 - loss: 0.12 - acc: 0.96", "epoch: 2 | loss=0.3"
PROGRESS_SUMMARY = re.compile(r"^\s*(?:\d[\d/:.,-]*\s+){0,2}(?:\[[^\]]{0,40}\]\s*){0,3}(?:\|\s*)?(?:eval\s+)?epoch\s*[:=#]?\s*\[?\s*(\d{1,7})\s*(?:/\s*\d+\s*)?\]?\s*[,;:|-]"
                              # (not a tqdm bar: "Epoch 2: : 17671it [1:05:34, 4.49it/s, loss=2.15]" is under way)
                              r"(?![^\n]*(?:\b(?:step|iter(?:ation)?|batch)\b|\d(?:it|s)/(?:s|it)\b|\d+it \[))[^\n]{0,200}?\b(?:train[_ ]?)?(?:loss|acc(?:uracy)?)\b", re.I)

#: MXNet's Module.fit ("Epoch[0] Batch [100]  Speed: ...", "Epoch[0] Train-accuracy=...") and scripts in its style
#: ("Epoch[1] Loss=0.0098, ... 99.88 %"); "Epoch[0] Time cost=28.650" ends the epoch
PROGRESS_BRACKET = re.compile(r"\bEpoch\[(\d{1,7})\]\s*(?:Batch\s*\[|Loss=|Train-|Validation-|Time cost=(\d+(?:\.\d+)?)|"
                              # Ignite: "Epoch[1] Complete. Time taken: 00:00:01.491"
                              r"Complete\. Time taken: (\d+:\d\d:\d\d(?:\.\d+)?))")
#: PaddlePaddle: fluid's "Pass:0, Batch:100, Cost:0.40671" ended by "Test:0, Cost:0.26778", v1's glog
#: "TrainerInternal.cpp:180]  Pass=23 Batch=565 samples=904000 AvgCost=2.51811" (the pass's end)
#: (fluid's benchmark: "Pass: 0, Iter: 10, Loss: 5.32" ended by "Pass: 0, Loss: 5.32 , Test Accuracy: 0.014"; v2's
#: "Test with Pass 2, Cost 4.149", also behind an MPI rank's "[1,37]<stdout>:")
PROGRESS_PASS = re.compile(r"^\s*Pass[:=]?\s*(\d{1,7}),?\s+(?:Batch|Iter)[:=]?\s*\d+")
PROGRESS_PASS_END = re.compile(r"^\s*Test[:=]\s*(\d{1,7}),\s+Cost[:=]|\bPass=(\d{1,7}) Batch=\d+ samples=\d+ AvgCost=|"
                               r"^\s*Pass[:=]?\s*(\d{1,7}),\s+(?:Loss|Cost)[:=]?\s*\S+\s*,\s*Test\b|\bTest with Pass (\d{1,7}), Cost\b")
#: YOLO: "70/1000  6.73G  1.081  0.4706 ... 640: 100%|███| 16/16 [00:05<00:00]" (a bar under way is progress), and
#: YOLOv5's results.txt rows "0/89  5.61G  0.07745 ..." (one per finished epoch, no bar)
PROGRESS_YOLO = re.compile(r"^\s*(\d{1,6})/\d{1,6}\s+\d+(?:\.\d+)?G\s+\d")
#: "====epoch 15 SupervisedLoss 15.53" (a script's line at an epoch's end)
PROGRESS_MARKED = re.compile(r"={2,}\s*epoch\s+(\d{1,7})\s+\w*loss\b", re.I)
#: mmdetection / mmengine: "Epoch [1][15/678]\tlr: ...", "Epoch(train)  [1][ 50/678]  lr: ..."
PROGRESS_STEP_MM = re.compile(r"\bEpoch(?:\(train\))?\s*\[(\d{1,7})\]\s*\[\s*(\d+)/(\d+)\]")
#: a step line with no word for it: the TF tutorials' "Epoch 1 Batch 500 Loss 3.6211", fairseq's "| epoch 010  2000 / 8223 loss="
PROGRESS_STEP_BARE = re.compile(r"^\s*(?:\|\s*)?(?:Epoch (\d{1,7}) Batch \d+ Loss\b|epoch (\d{1,7})\s+\d+ / \d+ loss=)")
#: a fractional epoch (Hugging Face Trainer's log dicts "{'loss': 5.56, ..., 'epoch': 0.64}", a tqdm description
#: "Epoch: 7.03e-05 - loss: 133.07"): epoch k is under way until the count reaches k + 1
PROGRESS_FRACTION = re.compile(r"(?:['\"]epoch['\"]:|\bEpoch:)\s*(\d+\.\d*(?:e-\d+)?)(?=[,}\s]| -)")
#: nntrainer's line per epoch: "#1/1500 - Training Loss: 4.65 - ... >> [ Accuracy: 0.98% - Validation Loss : 4.60 ]"
PROGRESS_HASH = re.compile(r"^\s*#(\d{1,7})/\d+ - Training Loss:\s*-?[\d.]+(?:e[-+]?\d+)?(?:\s*$|.*\]\s*$)")
#: CNTK's minibatch line inside an epoch: "Epoch[ 1 of 20]-Minibatch[   1-  10, 0.00%]: ce = ...", also under its
#: learning-rate search ("AdaptiveLearnRateSearch: Epoch[1002 of 5000]-Minibatch[ 61- 70, ...]")
PROGRESS_CNTK_MB = re.compile(r"\bEpoch\[\s*(\d{1,7}) of \d+\]-Minibatch\[")
#: DGL's examples: "Epoch 00000 | Step 00020 | Loss 2.6650 | Train Acc 0.3400 | ..." (ended by "Epoch Time(s): 8.7")
PROGRESS_STEP_PIPE = re.compile(r"^\s*Epoch\s+(\d{1,7})\s*\|\s*Step\s+\d+\s*\|")
#: MXNet's R package: "[1] Train-accuracy=0.7023" ends epoch 1 (its "Batch [50] Speed: ... samples/sec" lines are steps)
PROGRESS_R_END = re.compile(r"^\s*\[(\d{1,7})\] Train-accuracy=")
PROGRESS_SPEEDOMETER = re.compile(r"^\s*Batch \[\d+\]\s+Speed: \d+(?:\.\d+)? samples/sec")
#: scikit-learn's MLP (verbose=True): "Iteration 3, loss = 0.19500652", one per epoch of the stochastic solvers
PROGRESS_SKLEARN = re.compile(r"^\s*Iteration (\d{1,7}), loss = -?\d")
#: a figure of a training metric: "loss: 0.31", "train acc:0.258", "valid_0's auc: 1", "validation_0-mae:72.4",
#: "ppl: 55.22", "binary_error:0.014", XGBoost's "test-merror:0.33", MADlib's "Loss: <1.57>", "Cost 4.14" (the word,
#: maybe a suffix, then the figure)
_METRIC_FIGURE = (r"(?<![A-Za-z])(?:(?:\w{1,20}_)?(?:loss|cost|acc(?:uracy)?|auc|rmse|mae|mse|logloss|ppl|perplexity|xent|"
                  r"score|f1|iou|map|bleu|wer|cer|nll|reward|precision|recall)|\w{1,20}[_-]m?error)(?![a-z])[\w@.-]{0,20}\s{0,3}[:=]?\s{0,3}"
                  r"(?:\[\d\]\s)?<?(?:-?\d|nan\b|inf\b)")
_COUNTER = r"\b(?:iterations?|iters?|its?|steps?|rounds?|updates?|batch(?:es)?|minibatch(?:es)?|itn\.?)\s{0,3}[:=#\[]?\s{0,3}(\d{1,9})\b"
#: a line of a run counted in steps, iterations or rounds, not epochs: a counter and a metric's figure on one line
#: (in either order: "iterations:16335, train acc:0.258", "Step 380000/1000000; acc: 42.02", "loss=0.3 step=100"),
#: a line led by its round ("[6529]\tvalidation_0-mae:72.4", "[8]:  train's auc:0.99", R's '[1] "[8]: ...'),
#: XGBoost's timestamped rounds ("[20:07:36] [106]\ttest-error:0.027"), CatBoost's "87:\tlearn: 0.954\ttest: ...", R optim's
#: "iter  10 value 303.77", spaCy 2's "Losses {'ner': 9.89}", Flux's throttled "loss(x, y) = param(0.0913)",
#: deeplearning4j's "Score at iteration 0 is 4088.2", darknet's "1863: 1339.34, 1379.45 avg loss, 0.001 rate" and its
#: region lines ("Region Avg IOU: 0.04, Class: ...", YOLOv3/4's "v3 (iou loss, Normalizer: ...")
STEP_LINE = re.compile(_COUNTER + r"[^\n]{0,300}?" + _METRIC_FIGURE + "|" + _METRIC_FIGURE + r"[^\n]{0,300}?" + _COUNTER + "|"
                       r"^\s*(?:\[\d{1,3}\]\s+\"|\[\d\d:\d\d:\d\d\]\s+)?\[(\d{1,9})\]:?\s+[^\n]{0,80}?" + _METRIC_FIGURE + "|"
                       r"^\s*(\d{1,9}):\s+learn:?\s+-?\d|"
                       r"^\s*iter\s{1,3}(\d{1,9}) value -?\d|"
                       r"^\s*Losses \{'[\w-]{1,40}': -?\d|^\s*(?:loss|accuracy)\([^()\n]{0,60}\) = (?:param\()?-?\d|"
                       r"\b(?:score|loss|cost) at (?:iteration|step|round) (\d{1,9}) is -?\d|"
                       r"^\s*(\d{1,9}): -?(?:\d+(?:\.\d+)?|nan), -?(?:\d+(?:\.\d+)?|nan) avg(?: loss)?, \d+(?:\.\d+)?(?:e-?\d+)? rate\b|"
                       r"\bRegion (?:\d+ )?Avg (?:IOU|\(IOU)|^\s*v\d \(\w+ loss, Normalizer: ", re.I)
#: a word every STEP_LINE alternative and every step table's header needs (a metric's, darknet's "avg" / "Region",
#: spaCy's "UAS"): a text with none of them anywhere is not searched line by line
STEP_WORDS = ("loss", "cost", "acc", "auc", "rmse", "mae", "mse", "ppl", "perplexity", "xent", "score", "f1", "iou", "map",
              "bleu", "wer", "cer", "nll", "reward", "precision", "recall", "error", "avg", "region", "uas", "learn", "value")


def _step_line(line: str) -> Optional["re.Match[str]"]:
    """STEP_LINE's match in ``line``'s first 2,000 characters; a line shorter than the shortest step line ("[1] auc:1")
    or without a word every step line needs is not searched (substring tests cost far less than the pattern)."""
    text = line[:2000]
    if len(text) < 9:
        return None
    low = text.lower()
    return STEP_LINE.search(text) if any(word in low for word in STEP_WORDS) else None


#: the header of a table of steps (spaCy's "E    #       LOSS TOK2VEC  LOSS NER  ENTS_F ...", "Itn.  Dep Loss  NER Loss
#: UAS ..."): a counter column, then column names of which one is a metric; numeric rows follow
STEP_TABLE_HEAD = re.compile(r"^\s*(?:E\s+#|#|Itn\.?|Iter(?:ation)?s?|Steps?|Rounds?)\s+(?:[A-Za-z][\w.%/-]*\s+){0,8}?"
                             r"(?:LOSS|Loss|loss|ACC|Acc|acc|UAS|SCORE|Score|score)\b[\w.%/ -]*$")
STEP_TABLE_ROW = re.compile(r"^\s*\d{1,9}(?:\s+(?:-?\d+(?:\.\d+)?(?:e[-+]?\d+)?%?|nan|inf)){2,}\s*$")
#: lines of a run counted in steps, not epochs: "iter: 2100 train_loss: 2.88" (MMF), "step 100/2000, training accuracy
#: 0.8" (TF 1.x examples), ParlAI's "[ time:2s parleys:12828 time_left:16s num_epochs:0 ]", Keras's step bars run
#: together on one line (" - ETA: 38s - loss: 0.61 - accuracy: 0.92 61/82 [=====>....]"), the Hugging Face Trainer's
#: "***** Running training *****" banner, gensim's "PROGRESS: at example #10000, processed 3198312 words" and
#: "training model with 3 workers on 40708 vocabulary"
PROGRESS_STEPS_ONLY = re.compile(r"^\s*(?:i_epoch: \d+ )?i?_?iter(?:ation)?:\s*\d+\s+(?:\w+_)?loss:\s*-?\d|"
                                 r"^\s*step \d+(?:/\d+)?,\s+(?:training |train |test )?(?:loss|acc(?:uracy)?)\s+-?\d|"
                                 r"^\s*\[ time:\d+s (?:parleys|total_exs):\d+|"
                                 r"\d+/\d+ \[[=>.]+\] - ETA: [\d:]+\w* - \w*loss: |"
                                 r"\*{5} Running training \*{5}|"
                                 # XGBoost's CLI rounds with no eval metric ("[21:31:00] [0]"), fastprogress's bar
                                 # ("0.11% [32/29603 1:19:55<1231:03:30]", fastai v1 / fast-bert)
                                 r"^\s*\[\d\d:\d\d:\d\d\]\s+\[\d{1,9}\]\s*$|"
                                 r"^\s*\d{1,3}(?:\.\d{1,2})?% \[\d{1,9}/\d{1,9} (?:\d{1,5}:)?\d\d:\d\d<(?:\d{1,5}:)?\d\d:\d\d(?:, [^\]\n]{0,80})?\]\s*$|"
                                 # gensim's vocabulary scan and start of training (word2vec, doc2vec, fastText)
                                 r"\bPROGRESS: at (?:sentence|example|document) #\d+, processed \d+ words|"
                                 r"\btraining model with \d+ workers on \d+ vocabulary|"
                                 r"^\s*\d+/\d+: episode: \d+, duration: |^\|\s+(?:time|train|rollout)/\s+\|\s+\||"
                                 # a traceback through the Hugging Face Trainer's loop: a run that was training
                                 r"transformers/trainer\.py\", line \d+, in (?:_inner_training_loop|inner_training_loop|train)\b", re.I)
#: OpenNMT-py (legacy): "Epoch  2,   550/  725; acc:   0.00; ppl:  11.85; ..." (a step), Flax diffusers' end of an
#: epoch "Epoch... (39/116 | Loss: 0.1877)", PaddleClas' "[Train][Epoch 1/10][Avg]CELoss: ..." (the epoch's average)
PROGRESS_STEP_ONMT = re.compile(r"^\s*Epoch\s+(\d{1,7}),\s+\d+/\s*\d+;")
PROGRESS_FLAX_END = re.compile(r"^\s*Epoch\.\.\. \((\d{1,7})/\d+ \| Loss:")
PROGRESS_PADDLE_AVG = re.compile(r"\[Train\]\[Epoch (\d{1,7})/\d+\]\[Avg\]")
#: WLASL-style steps "Epoch 1 train Loc Loss: 0.0044 ... Tot Loss: 0.0044"; PaddleClas' static-graph steps
#: "epoch:0   train step:10   top1: ..." and their epoch's end "END epoch:0   train top1: ..."
PROGRESS_STEP_PHASE = re.compile(r"^\s*Epoch\s+(\d{1,7})\s+train\b[^\n]{0,80}?\bLoss\b")
PROGRESS_STEP_PADDLE = re.compile(r"\bepoch:(\d{1,7})\s+train step:\d+")
PROGRESS_END_PADDLE = re.compile(r"\bEND epoch:(\d{1,7})\s+train\b")
#: darkflow: "Finish 1 epoch(es)"
PROGRESS_FINISH_N = re.compile(r"^\s*Finish (\d{1,7}) epoch\(es\)")
#: an epoch's end said in words after its number: "******* Epoch=1 end *******", "Epoch 3 finished", "End of
#: epoch 3"; ESPnet's "1epoch results:" (its steps "1epoch:train:1-375batch:")
PROGRESS_END_SAID = re.compile(r"\bepoch\s*[=:#]?\s*(\d{1,7})\s*(?:/\s*\d{1,7}\s*)?[*=-]*\s*(?:end(?:ed)?|finished|done|completed?)\b|"
                               r"\bend of epoch\s*[=:#]?\s*(\d{1,7})\b|\b(\d{1,7})epoch results:", re.I)
PROGRESS_STEP_ESPNET = re.compile(r"\b(\d{1,7})epoch:train:\d+-\d+batch:")
#: pytorch-template's (victoresque) summary after an epoch: "    epoch          : 1" then "    loss  : 1.07" lines
PROGRESS_KEYED = re.compile(r"^\s*epoch\s{2,}:\s*(\d{1,7})\s*$")
#: a Chinese training loop's line ("训练步数:0, 损失值:32250.6,运行时间:5.13", "第3轮 ... 损失"): training, though what it
#: counts (步 steps, 轮 rounds) is the script's own, so no epoch is read from it
PROGRESS_ZH = re.compile(r"(?:训练|迭代|第\s*\d+\s*[轮步次])[^\n]{0,30}?损失")
#: Hugging Face Trainer's end-of-run block: "***** train metrics *****" then "  epoch  =  30.0", "  train_runtime = 2:01:44.85"
TRAINER_METRICS = re.compile(r"^\s*\*{5} train metrics \*{5}\s*$")
#: an iteration-based run (detectron2's "eta: 0:01:23  iter: 19  total_loss: 1.475"): training, with no epochs to count
ITERATION_LINE = re.compile(r"\beta: (?:\d+ days?, )?\d+:\d\d:\d\d\s+iter: \d+\s+total_loss: ")


#: lines that say an epoch is under way ("step") or ended ("end"), and nothing else; the epoch's number is the
#: first group that matched
EPOCH_MARKS = ((PROGRESS_STEP_ML, "step"), (PROGRESS_STEP_MM, "step"), (PROGRESS_PASS, "step"), (PROGRESS_PASS_END, "end"),
               (PROGRESS_MARKED, "end"), (PROGRESS_STEP_BARE, "step"), (PROGRESS_HASH, "end"),
               (PROGRESS_CNTK_MB, "step"), (PROGRESS_KEYED, "end"), (PROGRESS_STEP_PIPE, "step"), (PROGRESS_R_END, "end"),
               (PROGRESS_SKLEARN, "end"), (PROGRESS_STEP_ONMT, "step"), (PROGRESS_FLAX_END, "end"),
               (PROGRESS_PADDLE_AVG, "end"), (PROGRESS_FINISH_N, "end"),
               (PROGRESS_STEP_PHASE, "step"), (PROGRESS_STEP_PADDLE, "step"), (PROGRESS_END_PADDLE, "end"),
               (PROGRESS_END_SAID, "end"), (PROGRESS_STEP_ESPNET, "step"))
#: a loss or accuracy with its figure: a line of an epoch's progress under its header
LOSS_FIGURE = re.compile(r"\b(?:loss|acc(?:uracy)?)\b\s*[:=]\s*-?\d", re.I)
#: an epoch's end said without its number ("| > EPOCH END -- GlobalStep:33654")
EPOCH_END_UNNUMBERED = re.compile(r"\bepoch\s+end\b(?!\s*\d)", re.I)
#: an epoch's time said without its number ("- Epoch Time: 0:04:55", "Epoch took 3.2s")
EPOCH_TIME_LINE = re.compile(r"\bepoch\s+(?:time|took)\b", re.I)
#: a figure in a line (the progress reader compares how many an epoch's end lines print)
NUMBER_TOKEN = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
#: a literal (lower case) every EPOCH_MARKS pattern needs: a line with none of them is not searched
EPOCH_MARK_WORDS = ("epoch", "pass", "test", "#", "train-", "iteration")
EPOCH_MARK_WORD = re.compile("|".join(re.escape(word) for word in EPOCH_MARK_WORDS))
#: every line the progress reader takes for an epoch's progress or end (and detectron2's iterations: training)
PROGRESS_LINES = (PROGRESS_HEADER, PROGRESS_TOTAL, PROGRESS_BRACKET, PROGRESS_YOLO, PROGRESS_FRACTION, PROGRESS_BAR, PROGRESS_STEP,
                  PROGRESS_TUTORIAL, PROGRESS_SUMMARY, PROGRESS_TRAIN_EPOCH, PROGRESS_TOOK, ITERATION_LINE, PROGRESS_ZH, PROGRESS_SPEEDOMETER,
                  TRAINER_METRICS, PROGRESS_STEPS_ONLY) + \
    tuple(pattern for pattern, _role in EPOCH_MARKS)


def _progress_line(line: str) -> bool:
    """A line the progress reader takes for an epoch's progress or end."""
    text = line[:2000]
    return any(pattern.search(text) for pattern in PROGRESS_LINES)


def _progress_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """Epochs told by progress: an epoch finished when its end is printed (MetricLogger's ``Total time``, a bar at
    100 %, ``Epoch took ...``, a test pass, its one summary line, the tutorial's ``[N / M]:``) or when a later
    epoch's progress begins. Times where the text gives them (the bar's elapsed time, the total), else untimed."""
    done: Dict[int, Optional[float]] = {}
    order: List[int] = []
    current: Optional[int] = None
    progressed = False
    bar_seconds: Optional[float] = None

    last_line = next((line[:2000] for line in reversed(lines) if line.strip()), "")
    fewest: Dict[str, int] = {}  # the fewest figures an epoch's end line of each kind printed
    bar_short = False  # the last epoch bar shown stopped short of its count ("0%| 1/2020")

    def cut_inside(line: str, kind: str) -> bool:
        """The paste's last line, with fewer figures than every end line of its kind before it: cut inside."""
        figures = len(NUMBER_TOKEN.findall(line))
        if line == last_line and kind in fewest and figures < fewest[kind]:
            return True
        fewest[kind] = min(fewest.get(kind, figures), figures)
        return False

    run = 0  # a second fit in the same log (its epochs counted from 0 or 1 again) is a run of its own

    def finish(number: Optional[int], seconds: Optional[float] = None) -> None:
        nonlocal progressed, bar_seconds
        if number is None:
            return
        if (run, number) not in done:
            order.append((run, number))
            done[(run, number)] = seconds if seconds is not None else bar_seconds
        progressed, bar_seconds = False, None

    repeated: Dict[Tuple[int, str], int] = {}  # (epoch, shape) -> how many summary-like lines print it
    for raw in lines:
        if "poch" in raw:
            m = PROGRESS_SUMMARY.match(raw[:2000])
            if m:
                key = (int(m.group(1)), _shape(raw[:2000]))
                repeated[key] = repeated.get(key, 0) + 1
    # a "summary" shape printed twice for one epoch is a step line, in every epoch (one epoch may show one of them)
    step_shapes = {shape for (_number, shape), count in repeated.items() if count >= 2}
    summarised: set = set()  # epochs ended by a summary line: a step of theirs after it was a mid-epoch validation

    def stepping(number: int) -> None:
        """A step line of ``number``: if a summary line had ended it, that was a validation inside the epoch."""
        key = (run, number)
        if key in summarised and number == current:
            summarised.discard(key)
            done.pop(key, None)
            order.remove(key)

    before_first = {"loss": 0, "end": False}  # progress printed before the first epoch named: the paste began inside one

    def begin(number: int, starts: bool = True) -> None:
        """Epoch ``number``'s line; ``starts``: a line that opens the epoch (a header, a step), not its end."""
        nonlocal current, progressed, bar_seconds, run
        if current is None and not done and number >= 1 and starts and (
                before_first["loss"] >= 2 or (before_first["loss"] and before_first["end"])):
            # the paste starts inside the epoch before this one (its header cut off): its losses and its end were
            # printed, so it finished ("- Average Loss: 9.69 / - Epoch Time: 0:04:55 / === Epoch 6 / 200 ===")
            current, progressed = number - 1, True
            finish(current)
        if current is not None and number != current and progressed:
            finish(current)  # the next epoch's progress began: the last one finished
        if number != current and number <= 1 and (run, number) in done and (run, current) in done and \
                sum(1 for r, _n in done if r == run) >= 2:
            run += 1  # numbering began again after this run's epochs had finished
        if number != current:
            current, progressed, bar_seconds = number, False, None

    blocks: Dict[Tuple[int, int], List[str]] = {}  # a header's epoch -> the shapes of the lines under its header
    cut_at = _last_line_cut(lines)

    for index, raw in enumerate(lines):
        if index == cut_at:
            # the paste's last line, cut inside: it ends nothing, but a later epoch it names began (its predecessor ended)
            named = EPOCH_ANY.search(raw[:2000]) if "ep" in raw.lower() else None
            if named and current is not None and int(named.group(1)) > current:
                begin(int(named.group(1)))
            break
        line = raw[:2000]
        block = blocks.get((run, current)) if current is not None else None
        if block is not None and len(block) < 50 and line.strip() and not PROGRESS_HEADER.search(line):
            block.append(_shape(line))
        m = PROGRESS_TOTAL.search(line)
        if m:
            begin(int(m.group(1)), starts=False)
            finish(current, _clock(m.group(2)))
            continue
        m = PROGRESS_BRACKET.search(line)
        if m:
            begin(int(m.group(1)))
            progressed = True
            if m.group(2) or m.group(3):
                finish(current, float(m.group(2)) if m.group(2) else _clock(m.group(3)))
            continue
        m = PROGRESS_YOLO.match(line)
        if m:
            begin(int(m.group(1)))
            progressed = True
            bar = re.search(r"(\d{1,3})%\|", line)
            cut = cut_inside(line.split(":", 1)[0] if bar else line, "yolo")
            if (bar is None and not cut) or (bar is not None and bar.group(1) == "100"):
                timed = PROGRESS_BAR_ANY.search(line)
                finish(current, _clock(timed.group(4)) if timed and bar else None)
            continue
        low = line.lower()
        mark = next(((m, role) for pattern, role in EPOCH_MARKS for m in (pattern.search(line),) if m), None) \
            if EPOCH_MARK_WORD.search(low) else None
        if mark:
            m, role = mark
            begin(int(next(group for group in m.groups() if group is not None)), starts=role == "step")
            progressed = True
            if role == "step":
                stepping(current)
            if role == "end":
                finish(current)
            continue
        fractions = list(PROGRESS_FRACTION.finditer(line))
        if fractions:
            value = float(fractions[-1].group(1))
            index = max(int(math.ceil(value)) - 1, 0)
            begin(index)
            progressed = True
            if value > 0 and value == int(value):
                finish(current)
            continue
        bars = list(PROGRESS_BAR.finditer(line))
        if bars:
            m = bars[-1]  # a line holds every redraw of the bar: the last one is what was shown
            begin(int(m.group(1)))
            progressed = True
            bar_short = m.group(2) != "100" and m.group(3) != m.group(4)  # the bar says this epoch is not done
            if m.group(2) == "100" or m.group(3) == m.group(4):
                finish(current, _clock(m.group(5)))
            continue
        m = PROGRESS_HEADER.search(line)
        if m:
            begin(int(m.group(1)))  # a header alone: the epoch began; the lines under it are its progress
            blocks.setdefault((run, current), [])
            bar = PROGRESS_BAR_ANY.search(line)
            if bar is None:
                continue
        m = PROGRESS_TUTORIAL.match(line) or PROGRESS_STEP.search(line) or PROGRESS_TRAIN_EPOCH.match(line)
        if m:
            begin(int(m.group(1)))
            progressed = True
            if m.re is PROGRESS_STEP:
                stepping(current)
                if m.group(2) == m.group(3):
                    finish(current)
            continue
        m = PROGRESS_TUTORIAL_END.match(line) or PROGRESS_SUMMARY.match(line)
        if m and m.re is PROGRESS_SUMMARY and _shape(line) in step_shapes:
            begin(int(m.group(1)))  # a "summary" printed again for the same epoch is its step ("| epoch 001: 450 / 1891")
            progressed = True
            cut_inside(line, "summary")  # how many figures such a line prints: a last one with fewer was cut
            stepping(current)
            continue
        if m:
            if cut_inside(line, "summary"):
                break
            begin(int(m.group(1)), starts=False)
            timed = re.search(r"\b(?:time|took|elapsed)\b\s*[:=]?\s*(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)\b", line, re.I)
            if (run, current) not in done:
                summarised.add((run, current))
            finish(current, float(timed.group(1)) if timed else None)
            continue
        bar = PROGRESS_BAR_ANY.search(line)
        if bar and current is not None:
            progressed = True
            if bar.group(1) == "100" and bar.group(2) == bar.group(3):
                bar_seconds = _clock(bar.group(4))
            continue
        m = PROGRESS_TOOK.search(line)
        if m and current is not None:
            finish(current, float(m.group(1) or m.group(2)))
            continue
        if current is not None and "epoch" in low and EPOCH_END_UNNUMBERED.search(line):
            finish(current)  # Mozilla TTS's " | > EPOCH END -- GlobalStep:33654 ..."
            continue
        if (PROGRESS_TEST.match(line) or (RUN_END.match(line) and not bar_short)) and current is not None and progressed:
            finish(current)  # a test pass, or the script's own "Training completed.": the epoch under way ended
            continue
        if current is not None and LOSS_FIGURE.search(line):
            progressed = True  # under a header, a line with a loss or accuracy figure ("train Loss: 0.0548 Acc: 0.98")
        elif current is None and LOSS_FIGURE.search(line):
            before_first["loss"] += 1
        elif current is None and "epoch" in low and EPOCH_TIME_LINE.search(line):
            before_first["end"] = True
    key = (run, current)
    if current is not None and key not in done and progressed and len(blocks.get(key) or ()) >= 2 and \
            any(blocks.get(k) == blocks[key] for k in done):
        # the last epoch under its header printed the same lines as an epoch that finished ("train mean loss=...",
        # "test mean loss=..."): it finished too
        finish(current)
    epochs: List[Dict[str, Any]] = []
    for key in order:
        seconds = done[key]
        epoch: Dict[str, Any] = {"epoch": key[1], "seconds": seconds}
        if seconds is None:
            epoch["untimed"] = True
        epochs.append(epoch)
    return epochs


#: any line that names its epoch by number ("epoch 3", "Epoch: [3/50]", "ep 3", "EPOCH=3", "(epoch 3)"), with the
#: epoch's count when printed: the generic reader's key, whatever the project prints around it
#: (the abbreviation as people write it, "ep" / "Ep" / "EP", not "eP"; the number not glued to a letter: "EP1e" in
#: random text is no epoch)
EPOCH_ANY = re.compile(r"(?<!\w)(?:epoch['\"]?|(?-i:ep|Ep|EP)\.?)(?:\.{3})?\s{0,3}(?:[:=#]\s{0,3})?(?:[\[(]\s{0,3})?(\d{1,7})(?![\w.%])"
                       r"(?:\s{0,3}(?:/|of)\s{0,3}(\d{1,7}))?", re.I)
#: a figure with a decimal point that is no clock's seconds ("0.6931", "98.2", "1e-4"): a line that prints one measures
SHAPE_FIGURE = re.compile(r"(?<![\d.])(?<!\d:)-?\d*\.\d+(?:e[-+]?\d+)?|\b\d(?:\.\d+)?e-\d+\b|\bnan\b", re.I)
#: a step inside the epoch ("[120/938]", "step 40", "iter: 200", "batch 3"): step and count, when both are printed
SHAPE_STEP = re.compile(r"(?:\b(?:step|iter(?:ation)?|batch|minibatch|it)s?\b\s{0,3}[:=#\[]?\s{0,3}(\d{1,9})(?![.\d])(?:\s{0,3}/\s{0,3}(\d{1,9}))?)|"
                        r"(?:(?<![\d/.:-])(\d{1,9})\s{0,3}/\s{0,3}(\d{1,9})(?![\d/.:-]))", re.I)
#: the word epoch with no number after it ("Epoch Time(s): 7.25", "epoch took 3.1s")
EPOCH_UNNUMBERED = re.compile(r"\bepoch\b(?!\.{0,3}\s{0,3}[:=#\[(]?\s{0,3}\d)", re.I)
#: a word that says a line sums its epoch up ("END epoch:0", "[Avg]", "Epoch 3 summary", "finished")
EPOCH_END_WORD = re.compile(r"\b(?:end|avg|average|summary|mean|finished|done|completed?|total)\b", re.I)
#: a figure, in the shape key
SHAPE_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?", re.I)


def _epoch_measure(line: str) -> Tuple[Optional["re.Match[str]"], str]:
    """The epoch a line names by number, and the rest of the line, when that rest prints a figure (a measure);
    (None, "") for a header, a line with no measure, or an epoch past its own count."""
    if "ep" not in line.lower():
        return None, ""
    m = EPOCH_ANY.search(line)
    if m is None or m.group(2) and int(m.group(1)) > int(m.group(2)):
        return None, ""
    rest = line[:m.start()] + " " + line[m.end():]
    return (m, rest) if SHAPE_FIGURE.search(rest) else (None, "")


def _shape(line: str) -> str:
    """A line's shape: its words, with every figure one ``0`` (punctuation, a bar's glyphs and spacing left out)."""
    return " ".join(re.sub(r"[^a-z0]+", " ", SHAPE_NUMBER.sub("0", line[:400].lower())).split())


def _last_line_cut(lines: List[str]) -> Optional[int]:
    """The index of the paste's last line when it was cut inside: its words, but for the last (cut) one, begin a
    longer line printed shortly before it ("| epoch 010:   2000 / 2737 loss=6.146, nll_loss=4.982, wpb=2570," under
    whole ones); None when it is whole."""
    last = next((k for k in range(len(lines) - 1, -1, -1) if lines[k].strip()), None)
    if last is None:
        return None
    words = _shape(lines[last]).split()
    if len(words) < 3:
        return None  # too short to say it is the start of a longer line ("Training completed." under "Training: 100%")
    head = words[:-1]
    for k in range(last - 1, max(-1, last - 200), -1):
        earlier = _shape(lines[k]).split() if lines[k].strip() else []
        if len(earlier) > len(words) and earlier[:len(head)] == head:
            return last
    return None


#: a metric's name: what makes one line that names an epoch and prints a figure a training line on its own
LONE_METRIC = re.compile(r"loss|acc|err|perplexity|ppl|score|cost", re.I)


def _shape_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """Epochs read from any project's own lines, by their shape: a line that names its epoch by number and prints a
    figure is that epoch's progress. Its end line is a shape printed once per epoch over two or more epochs, a step
    at its count ("[938/938]"), a line printed once after the epoch's other lines that says it sums the epoch up
    ("END epoch:0 ...", "[Avg]"; not the paste's last line, which may be cut inside), or a line
    naming the epoch with no number ("Epoch Time(s): 7.26") after them. An epoch finished at its end line, or when a
    later epoch's lines began; the last one only at its end line (or the script's "Training completed."). Untimed: a
    shape says how many epochs finished, not how long each took."""
    marks: List[Tuple[int, Optional[int], str, bool]] = []  # (line index, epoch or None, shape, a step at its count)
    steps: Dict[str, List[str]] = {}  # shape -> the steps short of their count its lines print
    cut = _last_line_cut(lines)
    for i, raw in enumerate(lines):
        line = raw[:2000]
        if i == cut:  # the paste's last line, cut inside: it ends nothing, but the epoch it names began
            named = EPOCH_ANY.search(line) if "ep" in line.lower() else None
            if named and marks:
                marks.append((i, int(named.group(1)), "\x00cut", False))
            break
        if "ep" not in line.lower():
            if marks and RUN_END.match(line):
                marks.append((i, None, "", True))
            continue
        m, rest = _epoch_measure(line)
        if m is None:
            if marks and EPOCH_UNNUMBERED.search(line) and SHAPE_FIGURE.search(line):
                marks.append((i, None, "", True))  # "Epoch Time(s): 7.2570" under the epoch's lines: its end
            continue
        shape = _shape(rest)
        full = False
        for step in SHAPE_STEP.finditer(rest):
            done, count = (step.group(1), step.group(2)) if step.group(1) is not None else (step.group(3), step.group(4))
            if count is not None and done == count:
                full = True
            elif not (count is None and step.group(1) is None):
                steps.setdefault(shape, []).append(done)
        marks.append((i, int(m.group(1)), shape, full))
    numbered = [mark for mark in marks if mark[1] is not None]
    if not numbered:
        return []
    # a step inside the epoch is printed again in a later epoch ("[100/938]" each epoch); a count that moves with
    # the epoch ("16/100" of a bar over the whole run) is no step. A lone line's step short of its count is one.
    seen: Dict[str, Dict[int, int]] = {}
    for _i, number, shape, _full in numbered:
        seen.setdefault(shape, {}).setdefault(number, 0)
        seen[shape][number] += 1
    stepped = {shape for shape, done in steps.items() if len(set(done)) < len(done) or sum(seen[shape].values()) == 1}
    once = {shape for shape, counts in seen.items() if max(counts.values()) == 1 and shape not in stepped}
    # a lone line ends its epoch when it measures it ("Epoch 1 loss 0.31"), not when it sets something ("Epoch 00001:
    # LearningRateScheduler setting learning rate to 0.001.")
    # lines of one epoch alone, each printed once ("[Epoch 3] Training cost: 557.8, ...", "[Epoch 3] Validation ..."):
    # its summary, when they measure it
    one_epoch = len({number for _i, number, _s, _f in numbered}) == 1 and len(numbered) <= 3 and not steps and \
        all(s in once for _i, _n, s, _f in numbered)
    lone = one_epoch and any(LONE_METRIC.search(lines[i][:2000]) for i, _n, _s, _f in numbered)
    ending = {shape for shape in once if len(seen[shape]) >= 2 or lone}
    last_line = next((k for k in range(len(lines) - 1, -1, -1) if lines[k].strip()), -1)  # may be cut inside
    done: Dict[Tuple[int, int], bool] = {}
    order: List[Tuple[int, int]] = []
    run, current, lines_of_current = 0, None, 0
    run_shapes: set = set()  # the shapes this run's lines were printed in
    restating = None  # a shape new to the run that numbers its finished epochs again: a summary of them

    def finish(key: Tuple[int, int]) -> None:
        if key not in done:
            done[key] = True
            order.append(key)

    for i, number, shape, full in marks:
        if number is None:
            if current is not None and lines_of_current:
                finish((run, current))
            continue
        if shape == restating:
            continue
        if current is not None and number != current:
            if number < current and number <= 1 and len([k for k in done if k[0] == run]) >= 2:
                if shape not in run_shapes and (run, current) in done:
                    # "- Epoch 1 takes 39871.89 ms" under the last epoch, a shape the run never printed: the run's
                    # own summary of the epochs it finished, not a second fit
                    restating = shape
                    continue
                run += 1  # numbering began again after this run's epochs had finished: a second fit
                run_shapes = set()
            elif number > current:
                finish((run, current))  # a later epoch's lines began: the one before finished
            lines_of_current = 0
        current = number
        closing = shape in once and lines_of_current and i != last_line and EPOCH_END_WORD.search(lines[i][:2000])
        if shape in ending or full or closing:  # (a last line cut inside was left out above: _last_line_cut)
            finish((run, number))
        lines_of_current += 1
        run_shapes.add(shape)
    return [{"epoch": number, "seconds": None, "untimed": True} for _run, number in order]


#: a report table's header whose first column is the epoch ("epoch  iteration  main/loss ...", "epoch train loss
#: valid loss accuracy"), behind a quote or table border
EPOCH_COLUMN_HEAD = re.compile(r"^\s*(?:>\s*)*\|?\s*epoch\s*\|?\s+[A-Za-z_][\w/.()%-]*(?:\s*\|?\s+[A-Za-z_][\w/.()%-]*)+\s*\|?\s*$",
                               re.I)
#: a row of such a table: the epoch, then figures (or nan / empty cells)
EPOCH_COLUMN_ROW = re.compile(r"^\s*(?:>\s*)*\|?\s*(\d{1,7})\s*\|?\s+(?:-?\d|nan\b|inf\b)[^\n]{0,400}$", re.I)


def _epoch_column_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """Epochs of any report table whose first column is the epoch (Chainer's PrintReport, a fastai table pasted
    from HTML, a script's own table), untimed: rows printed once per epoch each end one; rows printed per iteration
    (an epoch over several rows) end an epoch when the next epoch's rows begin."""
    values: List[int] = []
    in_table = False
    cells: Optional[int] = None  # a table with "|" between its columns: how many columns its header names
    cut = _last_line_cut(lines)
    for k, raw in enumerate(lines):
        if k == cut:
            break  # the last row, cut inside its cells
        line = raw[:2000]
        if EPOCH_COLUMN_HEAD.match(line):
            in_table = True
            cells = len([c for c in line.split("|") if c.strip()]) if line.count("|") >= 2 else None
            continue
        if not in_table:
            continue
        m = EPOCH_COLUMN_ROW.match(line)
        if m and len(NUMBER_TOKEN.findall(line)) >= 2:
            if cells and len([c for c in line.split("|") if c.strip()]) < cells:
                continue  # a row short of the header's columns: its epoch stopped before its results were printed
            values.append(int(m.group(1)))
    if not values:
        return []
    counts: Dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    per_epoch = max(counts.values()) == 1
    order: List[int] = []
    for k, value in enumerate(values):
        later = any(v != value for v in values[k + 1:])
        if value not in order and (per_epoch or later):
            order.append(value)
    return [{"epoch": value, "seconds": None, "untimed": True} for value in order]


def _trainer_summary_epochs(lines: List[str]) -> List[Dict[str, Any]]:
    """Hugging Face Trainer's end-of-run ``***** train metrics *****`` block: ``epoch = 30.0`` epochs finished (the
    whole part of it), untimed one by one; ``train_runtime`` is the run's time."""
    start = next((i for i, line in enumerate(lines[:200000]) if TRAINER_METRICS.match(line)), None)
    if start is None:
        return []
    value = runtime = None
    for line in lines[start + 1:start + 30]:
        m = re.match(r"^\s*(epoch|train_runtime)\s*=\s*(\S+)\s*$", line)
        if m and m.group(1) == "epoch" and value is None:
            value = _number(m.group(2))
        elif m and m.group(1) == "train_runtime":
            runtime = _clock(m.group(2))
        elif line.strip().startswith("*****"):
            break
    if not isinstance(value, (int, float)) or value < 1 or value > 100000:
        return []
    epochs: List[Dict[str, Any]] = [{"epoch": k, "seconds": None, "untimed": True} for k in range(1, int(value) + 1)]
    if runtime is not None:
        epochs[-1]["run_seconds"] = runtime  # the whole run's, not this epoch's
    return epochs


PARSERS = (("dlready", _dlready_epochs), ("nolearn-dbn", _nolearn_epochs), ("lasagne", _lasagne_epochs),
           ("pytorch-examples", _torch_example_epochs), ("nolearn-lasagne", _nolearn_table_epochs),
           ("epoch-table", _epoch_table_epochs), ("epoch-lines", _timed_line_epochs), ("progress", _progress_epochs),
           ("trainer-summary", _trainer_summary_epochs), ("epoch-shape", _shape_epochs),
           ("epoch-column", _epoch_column_epochs))


# -- the shell's time block and its cousins -------------------------------------------
def _clock(text: str) -> Optional[float]:
    """``1m1.586s``, ``2m8,462s``, ``61.58``, ``1:01.58``, ``1:02:03``, ``12min 22s``, ``29.9 s``."""
    text = text.strip().replace(",", ".")
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(\d+(?:\.\d+)?)s", text)
    if m and (m.group(1) or m.group(2) or text.endswith("s")):
        return int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60 + float(m.group(3))
    m = re.fullmatch(r"(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text)
    if m:
        return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    m = re.fullmatch(r"(?:(\d+)\s*h\s*)?(?:(\d+)\s*min\s*)?(?:(\d+(?:\.\d+)?)\s*(s|ms|µs|us|ns))?", text)
    if m and any(m.groups()):
        scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}.get(m.group(4) or "s", 1.0)
        return int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60 + float(m.group(3) or 0) * scale
    return _number(text)


TIME_PATTERNS = (
    # bash/ksh `time`, bash TIMEFORMAT, POSIX `time -p`: one key per line
    ("shell", re.compile(r"^\s*(real|user|sys)\s+(\d+h)?(\d+m)?\d+(?:[.,]\d+)?s?\s*$")),
    # zsh: "python dbn.py  73.89s user 7.86s system 120% cpu 1:01.59 total"
    ("zsh", re.compile(r"(\d+(?:\.\d+)?)s user (\d+(?:\.\d+)?)s system \d+% cpu ([\d:.]+) total")),
    # GNU /usr/bin/time default: "73.88user 7.85system 1:01.58elapsed 120%CPU (...)"
    ("gnu-time", re.compile(r"(\d+(?:\.\d+)?)user (\d+(?:\.\d+)?)system ([\d:.]+)elapsed")),
    # GNU /usr/bin/time -v
    ("gnu-time-v", re.compile(r"^\s*(User time \(seconds\)|System time \(seconds\)|Elapsed \(wall clock\) time(?: \([^)]*\))?|"
                              r"Maximum resident set size \(kbytes\)):\s*(\S+)\s*$")),
    # IPython %time / %%time
    ("ipython", re.compile(r"^\s*(CPU times|Wall time):\s*(.+)$")),
)


def parse_time_block(lines: List[str]) -> Dict[str, Any]:
    """The last complete ``real``/``user``/``sys`` block in any known format; {} if none."""
    found: Dict[str, Any] = {}
    block: Dict[str, Any] = {}
    for line in lines:
        for fmt, pattern in TIME_PATTERNS:
            m = pattern.search(line)
            if not m:
                continue
            if fmt == "shell":
                key, value = line.split(None, 1)
                block[key.strip().lower()] = _clock(value)
                block["format"] = "shell"
            elif fmt in ("zsh", "gnu-time"):
                block = {"user": _number(m.group(1)), "sys": _number(m.group(2)),
                         "real": _clock(m.group(3)), "format": fmt}
            elif fmt == "gnu-time-v":
                label, value = m.group(1), m.group(2)
                key = "user" if label.startswith("User") else "sys" if label.startswith("System") else \
                    "real" if label.startswith("Elapsed") else "max_rss_kb"
                if key == "max_rss_kb" and found.get("format") == fmt and not block:
                    found[key] = _number(value)  # -v prints the RSS after the three times
                    break
                block[key] = _clock(value) if key != "max_rss_kb" else _number(value)
                block["format"] = fmt
            else:
                block["format"] = fmt
                if m.group(1) == "Wall time":
                    block["real"] = _clock(m.group(2))
                else:
                    # "user 12min 22s, sys: 29.9 s, total: 12min 51s" (IPython puts no colon after user)
                    for part in m.group(2).split(","):
                        pm = re.match(r"\s*(user|sys)\s*:?\s*(.+)$", part)
                        if pm:
                            block[pm.group(1)] = _clock(pm.group(2))
            if all(block.get(k) is not None for k in ("real", "user", "sys")):
                found, block = dict(block), {}
            break
    if not found and block.get("real") is not None:
        found = block  # e.g. only "Wall time:" or a truncated block: keep what is there
    return found


def _training_line(line: str) -> bool:
    """A line of the training itself: an epoch header, a step or summary line, a progress bar, a table row."""
    return _known_training_line(line) or _epoch_measure(line[:2000])[0] is not None


def _known_training_line(line: str) -> bool:
    """A training line in a known format (every one but the generic reader's "names an epoch, prints a figure")."""
    return bool(KERAS_HEADER.match(line) or NOLEARN_HEADER.match(line) or LASAGNE.search(line) or DLREADY.search(line)
                or _keras_line(line) is not None or (" - loss: " in line and PER_STEP.search(line[:2000]))
                or TORCH_TRAIN.match(line) or TORCH_TEST.match(line) or NOLEARN_TABLE_HEAD.match(line)
                or NOLEARN_TABLE_ROW.match(line) or any(p.search(line[:2000]) for p in EPOCH_TIMED)
                or _progress_line(line) or _step_line(line) is not None or EPOCH_COLUMN_HEAD.match(line[:2000])
                or (any(c in line for c in TABLE_LOSS_COLUMNS) and _fastai_cells(line)[:1] == ["epoch"]))


def _run_error(lines: List[str], banners: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The error that ended the run: the first one printed after its last training line (a CUDA error, an out-of-
    memory, a crash, a ^C), with ``lineno``. An error with training after it was the start-up's, not the run's."""
    last = next((i for i in range(len(lines) - 1, -1, -1) if _training_line(lines[i])), None)
    if last is None:
        return None
    after = [b for b in banners if b.get("error") and b["lineno"] > last]
    if after:
        return dict(after[0]["error"], lineno=after[0]["lineno"], line=after[0]["line"][:300])
    crashed = framework_log.stopping_error(lines[last:], [])
    if crashed:
        crashed["lineno"] = crashed.get("lineno", len(lines) - last) + last
        return crashed
    return None


def _stopped_by_hand(lines: List[str]) -> Optional[int]:
    """The line (1-based) of a terminal's ``^C`` echo after the last training line: the run was stopped by hand,
    which is no error of the machine's (a KeyboardInterrupt traceback, when printed, is the run's error)."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip() == "^C":
            return i + 1
        if _training_line(lines[i]):
            return None
    return None


def _steps(lines: List[str]) -> Dict[str, Any]:
    """A run counted in steps, iterations or rounds: how many of its lines say so (STEP_LINE, or a row under a
    step table's header), with the first and last counter printed. Empty when no line does."""
    count, counters, table, column = 0, [], False, 0
    low = "\n".join(lines[:200000]).lower()
    if not any(word in low for word in STEP_WORDS):  # (a substring test each: C speed over the whole text)
        return {}
    for line in lines[:200000]:
        text = line[:2000]
        if STEP_TABLE_HEAD.match(text):
            table, column = True, 1 if text.split()[:2] == ["E", "#"] else 0  # (spaCy 3: the epoch, then the step)
            continue
        if table and STEP_TABLE_ROW.match(text):
            count += 1
            counters.append(int(float(text.split()[column])))
            continue
        table = table and (not text.strip() or set(text.strip()) <= set("- |+="))  # (the rule under the header)
        m = _step_line(text)
        if m:
            count += 1
            got = next((g for g in m.groups() if g is not None), None)
            if got is not None:
                counters.append(int(got))
    if not count:
        return {}
    return {"lines": count, "first": counters[0] if counters else None, "last": counters[-1] if counters else None}


# -- public interface ------------------------------------------------------------------
def detect(text: str) -> float:
    """Confidence (0..1) that ``text`` is a training log this module understands."""
    try:
        lines = normalise(text)[:5000]
    except Exception:  # detect must never raise, whatever it is handed
        return 0.0
    score = 0.0
    for line in lines:
        if _known_training_line(line):
            score += 0.3
        elif _epoch_measure(line[:2000])[0] is not None:
            # the generic reader's line: one that names a metric, or two, make a log (one can be chance: "EP3" in noise)
            score += 0.3 if LONE_METRIC.search(line[:2000]) else 0.15
        elif line.startswith("[DBN]") or "backend." in line and line.startswith("Using "):
            score += 0.2
        if score >= 1.0:
            return 1.0
    if score < 0.6:
        steps = _steps(lines).get("lines") or 0
        if steps:
            score = max(score, min(0.3 + 0.2 * steps, 0.9))  # a run counted in steps (a spaCy table's rows)
    if score < 0.3 and parse_time_block(lines).get("real") is not None:
        score = 0.4  # a run's `time` block alone (bash, zsh, GNU time): judged from its wall time
    if score < 0.3 and log_banners.scan(lines):
        score = 0.4  # a framework's startup lines (TensorFlow, Theano, CNTK, gnumpy, ...): which device it took
    return round(min(score, 0.9), 2)


def parse(text: str, source: str = "the log") -> Dict[str, Any]:
    """Epochs, time block and banners of a training log; never raises (a bug is a ``parse_error`` field)."""
    try:
        return _parse(text, source)
    except Exception as exc:  # a parser bug must be a finding (checks.tool_outputs), not a dead pytest session
        return {"kind": KIND, "source": source, "epochs": [], "formats": [], "time": {}, "banners": [],
                "signals": [], "parse_error": f"{type(exc).__name__}: {exc}"}


def _parse(text: str, source: str) -> Dict[str, Any]:
    lines = normalise(text)
    formats: List[str] = []
    epochs, truncated = _keras_epochs(lines)
    if epochs:
        formats.append("keras")
    for name, parser in PARSERS:
        if epochs:
            break
        epochs = parser(lines)
        if epochs or (name == "pytorch-examples" and any(TORCH_TRAIN.match(line) for line in lines[-200:])):
            formats.append(name)
        if name == "pytorch-examples" and formats[-1:] == [name]:
            last = max((i for i, line in enumerate(lines) if TORCH_TRAIN.match(line) or TORCH_TEST.match(line)), default=-1)
            truncated = last >= 0 and not TORCH_TEST.match(lines[last])  # stopped inside an epoch (^C, a cut paste)
        if name == "nolearn-lasagne" and epochs:
            rows = [i for i, line in enumerate(lines) if NOLEARN_TABLE_ROW.match(line)]
            after = [line for line in lines[rows[-1] + 1:] if line.strip()]
            truncated = bool(after) and bool(re.match(r"^\s*\d+\s*\|", after[-1]))  # a row cut short
    banners = log_banners.scan(lines)
    timed = [e for e in epochs if e.get("seconds") is not None]
    result: Dict[str, Any] = {
        "kind": KIND,
        "source": source,
        "formats": formats,
        "epochs": epochs,
        "total_seconds": round(sum(e["seconds"] for e in timed), 6) if timed else None,
        "time": parse_time_block(lines),
        "banners": banners,
        "lines": len(lines),
        "truncated": truncated,
    }
    if not epochs:
        steps = _steps(lines)
        if steps:
            result["steps"] = steps  # trained in steps / iterations / rounds: no epoch to time
    result.update(log_banners.summarise(banners))
    for key, value in framework_log.summary(lines, banners).items():
        if result.get(key) in (None, "", []):
            result[key] = value
    if timed:
        result["median_epoch_seconds"] = statistics.median(e["seconds"] for e in timed)
    # a NaN loss, as each epoch parser marks it (Keras "loss: nan", PyTorch examples "Loss: nan", a nolearn
    # table's nan cell, a timed line's "loss nan"): the run diverged. 0 when that epoch has no number.
    result["loss_nan_epoch"] = next(((e.get("epoch") or 0) for e in epochs if e.get("loss_nan")), None)
    if formats:
        # an error with training after it was the framework's start-up error, not the run's; the first error after
        # the last training line ended the run
        startup = result.pop("error", None)
        ended = _run_error(lines, banners)
        result["error"] = ended
        if ended:
            result["error_after_epochs"] = len(epochs)
        hand = None if ended else _stopped_by_hand(lines)
        if hand:
            result["stopped_by_hand"] = hand
        if startup and (not ended or {k: v for k, v in ended.items() if k not in ("lineno", "line")} != startup):
            result["startup_error"] = startup
    return result
