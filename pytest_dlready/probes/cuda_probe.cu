/*
 * pytest-dlready native CUDA probe (the project's own code, not NVIDIA's samples).
 *
 * Why it exists: NVIDIA's deviceQuery/bandwidthTest are rarely built on a machine,
 * yet the toolkit's nvcc usually is present. This small program needs nothing but
 * the CUDA runtime (linked statically by nvcc's default), so it answers the same
 * questions everywhere nvcc works: which devices does the *runtime* see, what are
 * their properties, and how fast do host<->device and device<->device copies run
 * (pinned and pageable host memory, timed with CUDA events like bandwidthTest).
 *
 * It contains no __global__ kernels on purpose: with only memcpy and events the
 * binary runs on any GPU the runtime supports, whatever architecture nvcc targets.
 *
 * When NVML can be loaded (dlopen / LoadLibrary, never linked, so a missing driver
 * costs nothing), the PCIe link generation and width are sampled *while* pinned
 * host-to-device copies are in flight: idle links train down to Gen1, so an idle
 * reading cannot tell a downgraded slot from a power-saving one.
 *
 * Output: one JSON document on stdout. Exit status: 0 ok, 2 the runtime could not
 * enumerate devices (e.g. error 35, driver insufficient), 3 a device-level error,
 * 64 bad arguments. Only C++03 and CUDA runtime calls that exist since CUDA 5.x are
 * used, so the same source builds with a 2014 MacBook toolkit and with CUDA 13.
 */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#define PROBE_SCHEMA 1

/* ---------- JSON helpers ------------------------------------------------------ */

static void json_string(const char *s) {
    putchar('"');
    for (; s && *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { putchar('\\'); putchar(c); }
        else if (c == '\n') { fputs("\\n", stdout); }
        else if (c < 0x20) { printf("\\u%04x", c); }
        else { putchar(c); }
    }
    putchar('"');
}

static void json_error(cudaError_t err, const char *call) {
    printf("{\"code\": %d, \"name\": ", (int)err);
#if CUDART_VERSION >= 6050 /* cudaGetErrorName is newer than the oldest toolkits we build with */
    json_string(cudaGetErrorName(err));
#else
    json_string("");
#endif
    printf(", \"message\": ");
    json_string(cudaGetErrorString(err));
    printf(", \"call\": ");
    json_string(call);
    printf("}");
}

/* ---------- optional NVML, loaded at run time ------------------------------------ */

typedef int (*nvml_init_t)(void);
typedef int (*nvml_by_bus_t)(const char *, void **);
typedef int (*nvml_uint_t)(void *, unsigned int *);

struct Nvml {
    int loaded;
    const char *error;
    nvml_init_t shutdown;
    nvml_by_bus_t by_bus;
    nvml_uint_t cur_gen, cur_width, max_gen, max_width;
};

static void *load_symbol(void *lib, const char *name) {
#ifdef _WIN32
    return (void *)GetProcAddress((HMODULE)lib, name);
#else
    return dlsym(lib, name);
#endif
}

static void nvml_load(struct Nvml *n) {
    memset(n, 0, sizeof(*n));
#ifdef _WIN32
    void *lib = (void *)LoadLibraryA("nvml.dll");
#else
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
#endif
    if (!lib) { n->error = "NVML library not found"; return; }
    nvml_init_t init = (nvml_init_t)load_symbol(lib, "nvmlInit_v2");
    if (!init) init = (nvml_init_t)load_symbol(lib, "nvmlInit");
    n->shutdown = (nvml_init_t)load_symbol(lib, "nvmlShutdown");
    n->by_bus = (nvml_by_bus_t)load_symbol(lib, "nvmlDeviceGetHandleByPciBusId_v2");
    if (!n->by_bus) n->by_bus = (nvml_by_bus_t)load_symbol(lib, "nvmlDeviceGetHandleByPciBusId");
    n->cur_gen = (nvml_uint_t)load_symbol(lib, "nvmlDeviceGetCurrPcieLinkGeneration");
    n->cur_width = (nvml_uint_t)load_symbol(lib, "nvmlDeviceGetCurrPcieLinkWidth");
    n->max_gen = (nvml_uint_t)load_symbol(lib, "nvmlDeviceGetMaxPcieLinkGeneration");
    n->max_width = (nvml_uint_t)load_symbol(lib, "nvmlDeviceGetMaxPcieLinkWidth");
    if (!init || !n->by_bus || !n->cur_gen || !n->cur_width) { n->error = "NVML symbols missing"; return; }
    if (init() != 0) { n->error = "nvmlInit failed"; return; }
    n->loaded = 1;
}

/* ---------- options -------------------------------------------------------------- */

struct Options {
    size_t size;
    int reps;
    int bandwidth;
    int device; /* -1: all */
};

static int parse_args(int argc, char **argv, struct Options *o) {
    o->size = 32000000; /* bandwidthTest quick mode size */
    o->reps = 20;
    o->bandwidth = 1;
    o->device = -1;
    for (int i = 1; i < argc; ++i) {
        if (strncmp(argv[i], "--size=", 7) == 0) o->size = (size_t)strtoull(argv[i] + 7, NULL, 10);
        else if (strncmp(argv[i], "--reps=", 7) == 0) o->reps = atoi(argv[i] + 7);
        else if (strncmp(argv[i], "--device=", 9) == 0) o->device = atoi(argv[i] + 9);
        else if (strcmp(argv[i], "--no-bandwidth") == 0) o->bandwidth = 0;
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 0; }
    }
    return o->size >= 1024 && o->reps >= 1 && o->reps <= 10000;
}

/* ---------- device properties ---------------------------------------------------- */

static int attr(cudaDeviceAttr a, int dev) {
    int v = -1;
    if (cudaDeviceGetAttribute(&v, a, dev) != cudaSuccess) { cudaGetLastError(); return -1; }
    return v;
}

static int print_device(int dev) {
    cudaDeviceProp p;
    cudaError_t err = cudaGetDeviceProperties(&p, dev);
    printf("    {\"index\": %d", dev);
    if (err != cudaSuccess) {
        printf(", \"error\": ");
        json_error(err, "cudaGetDeviceProperties");
        printf("}");
        return 1;
    }
    printf(", \"name\": ");
    json_string(p.name);
    printf(", \"compute_capability\": \"%d.%d\", \"major\": %d, \"minor\": %d", p.major, p.minor, p.major, p.minor);
    printf(", \"memory_bytes\": %llu, \"memory_mib\": %llu", (unsigned long long)p.totalGlobalMem,
           (unsigned long long)(p.totalGlobalMem >> 20));
    int clock_khz = attr(cudaDevAttrClockRate, dev);
    int mem_khz = attr(cudaDevAttrMemoryClockRate, dev);
    int bus = attr(cudaDevAttrGlobalMemoryBusWidth, dev);
    printf(", \"multiprocessors\": %d", attr(cudaDevAttrMultiProcessorCount, dev));
    printf(", \"clock_mhz\": %d, \"memory_clock_mhz\": %d, \"memory_bus_width_bits\": %d",
           clock_khz > 0 ? clock_khz / 1000 : -1, mem_khz > 0 ? mem_khz / 1000 : -1, bus);
    if (mem_khz > 0 && bus > 0) /* DDR: two transfers per clock, as NVIDIA's own formula */
        printf(", \"theoretical_memory_gbps\": %.1f", 2.0 * mem_khz * 1e3 * (bus / 8) / 1e9);
    printf(", \"kernel_run_time_limit\": %s", attr(cudaDevAttrKernelExecTimeout, dev) == 1 ? "true" : "false");
    printf(", \"integrated\": %s", attr(cudaDevAttrIntegrated, dev) == 1 ? "true" : "false");
    printf(", \"ecc_enabled\": %s", attr(cudaDevAttrEccEnabled, dev) == 1 ? "true" : "false");
    printf(", \"tcc_driver\": %s", attr(cudaDevAttrTccDriver, dev) == 1 ? "true" : "false");
    printf(", \"compute_mode\": %d, \"async_engines\": %d", attr(cudaDevAttrComputeMode, dev),
           attr(cudaDevAttrAsyncEngineCount, dev));
    char bus_id[64] = {0};
    if (cudaDeviceGetPCIBusId(bus_id, (int)sizeof(bus_id), dev) == cudaSuccess) {
        printf(", \"pci_bus_id\": ");
        json_string(bus_id);
    } else {
        cudaGetLastError();
    }
    size_t free_b = 0, total_b = 0;
    if (cudaSetDevice(dev) == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
        printf(", \"free_bytes\": %llu, \"free_mib\": %llu", (unsigned long long)free_b,
               (unsigned long long)(free_b >> 20));
    else
        cudaGetLastError();
    printf("}");
    return 0;
}

/* ---------- bandwidth -------------------------------------------------------------- */

static int first_row = 1;

static void row_prefix(int dev, const char *direction, const char *memory, size_t size, int reps) {
    printf("%s\n    {\"device\": %d, \"direction\": \"%s\", \"memory\": \"%s\", \"size_bytes\": %llu, \"reps\": %d",
           first_row ? "" : ",", dev, direction, memory, (unsigned long long)size, reps);
    first_row = 0;
}

static int report_failure(int dev, const char *direction, const char *memory, const struct Options *o,
                          cudaError_t err, const char *call) {
    row_prefix(dev, direction, memory, o->size, o->reps);
    printf(", \"error\": ");
    json_error(err, call);
    printf("}");
    cudaGetLastError();
    return 1;
}

#define TRY(call, dir, mem)                                                          \
    do {                                                                             \
        cudaError_t e_ = (call);                                                     \
        if (e_ != cudaSuccess) return report_failure(dev, dir, mem, o, e_, #call);   \
    } while (0)

struct Link { int sampled; unsigned int gen, width, max_gen, max_width; };

/* Time `reps` copies between events; bytes_per_copy is 2x size for D2D (read + write). */
static int measure(int dev, const char *direction, const char *memory, void *dst, const void *src,
                   cudaMemcpyKind kind, int async, const struct Options *o, cudaStream_t s,
                   const struct Nvml *nvml, void *nvml_dev, struct Link *link) {
    cudaEvent_t start, stop;
    TRY(cudaEventCreate(&start), direction, memory);
    TRY(cudaEventCreate(&stop), direction, memory);
    TRY(cudaMemcpy(dst, src, o->size, kind), direction, memory); /* warm-up: first touch, TLBs */
    TRY(cudaEventRecord(start, s), direction, memory);
    for (int i = 0; i < o->reps; ++i) {
        if (async) TRY(cudaMemcpyAsync(dst, src, o->size, kind, s), direction, memory);
        else TRY(cudaMemcpy(dst, src, o->size, kind), direction, memory);
    }
    /* the stop event is queued behind the copies before NVML is asked anything: a slow NVML
       call on the host can then never stretch the timed window (the GPU keeps copying) */
    TRY(cudaEventRecord(stop, s), direction, memory);
    if (link && nvml && nvml->loaded && nvml_dev) {
        /* the async copies are in flight now: this is the link under load */
        link->sampled = nvml->cur_gen(nvml_dev, &link->gen) == 0 && nvml->cur_width(nvml_dev, &link->width) == 0;
        if (nvml->max_gen) nvml->max_gen(nvml_dev, &link->max_gen);
        if (nvml->max_width) nvml->max_width(nvml_dev, &link->max_width);
    }
    TRY(cudaEventSynchronize(stop), direction, memory);
    float ms = 0.0f;
    TRY(cudaEventElapsedTime(&ms, start, stop), direction, memory);
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    double bytes = (double)o->size * o->reps * (kind == cudaMemcpyDeviceToDevice ? 2.0 : 1.0);
    row_prefix(dev, direction, memory, o->size, o->reps);
    printf(", \"seconds\": %.6f, \"gbps\": %.3f, \"timer\": \"cuda-events\"}", ms / 1e3,
           ms > 0 ? bytes / (ms / 1e3) / 1e9 : 0.0);
    return 0;
}

static int bandwidth(int dev, const struct Options *o, const struct Nvml *nvml, struct Link *link) {
    void *d_a = NULL, *d_b = NULL, *h_pinned = NULL, *h_page = NULL;
    int failed = 0;
    cudaStream_t s = 0;
    void *nvml_dev = NULL;
    char bus_id[64] = {0};
    if (nvml->loaded && cudaDeviceGetPCIBusId(bus_id, (int)sizeof(bus_id), dev) == cudaSuccess)
        if (nvml->by_bus(bus_id, &nvml_dev) != 0) nvml_dev = NULL;
    if (cudaSetDevice(dev) != cudaSuccess || cudaMalloc(&d_a, o->size) != cudaSuccess ||
        cudaMalloc(&d_b, o->size) != cudaSuccess || cudaStreamCreate(&s) != cudaSuccess) {
        cudaError_t e = cudaGetLastError();
        failed = report_failure(dev, "h2d", "pinned", o, e, "cudaMalloc/cudaStreamCreate");
        goto done;
    }
    if (cudaMallocHost(&h_pinned, o->size) == cudaSuccess) {
        memset(h_pinned, 1, o->size);
        failed |= measure(dev, "h2d", "pinned", d_a, h_pinned, cudaMemcpyHostToDevice, 1, o, s, nvml, nvml_dev, link);
        failed |= measure(dev, "d2h", "pinned", h_pinned, d_a, cudaMemcpyDeviceToHost, 1, o, s, NULL, NULL, NULL);
    } else {
        failed |= report_failure(dev, "h2d", "pinned", o, cudaGetLastError(), "cudaMallocHost");
    }
    h_page = malloc(o->size);
    if (h_page) {
        memset(h_page, 1, o->size);
        failed |= measure(dev, "h2d", "pageable", d_a, h_page, cudaMemcpyHostToDevice, 0, o, s, NULL, NULL, NULL);
        failed |= measure(dev, "d2h", "pageable", h_page, d_a, cudaMemcpyDeviceToHost, 0, o, s, NULL, NULL, NULL);
    }
    failed |= measure(dev, "d2d", "device", d_b, d_a, cudaMemcpyDeviceToDevice, 1, o, s, NULL, NULL, NULL);
done:
    if (h_pinned) cudaFreeHost(h_pinned);
    free(h_page);
    if (d_a) cudaFree(d_a);
    if (d_b) cudaFree(d_b);
    if (s) cudaStreamDestroy(s);
    return failed;
}

/* ---------- main ------------------------------------------------------------------ */

int main(int argc, char **argv) {
    struct Options o;
    if (!parse_args(argc, argv, &o)) return 64;
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    printf("{\n  \"probe\": \"pytest-dlready cuda_probe\", \"schema\": %d,\n", PROBE_SCHEMA);
    printf("  \"driver_version\": %d, \"runtime_version\": %d,\n", driver, runtime);
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        printf("  \"device_count\": 0, \"error\": ");
        json_error(err, "cudaGetDeviceCount");
        printf(",\n  \"devices\": [], \"bandwidth\": [], \"links\": []\n}\n");
        return 2;
    }
    printf("  \"device_count\": %d, \"error\": null,\n  \"devices\": [\n", count);
    int failed = 0;
    for (int d = 0; d < count; ++d) {
        if (d) printf(",\n");
        failed |= print_device(d);
    }
    printf("\n  ],\n  \"bandwidth\": [");
    struct Nvml nvml;
    struct Link links[64];
    memset(links, 0, sizeof(links));
    if (o.bandwidth && count > 0) {
        nvml_load(&nvml);
        for (int d = 0; d < count && d < 64; ++d)
            if (o.device < 0 || o.device == d) failed |= bandwidth(d, &o, &nvml, &links[d]);
    } else {
        memset(&nvml, 0, sizeof(nvml));
        nvml.error = "not attempted";
    }
    printf("\n  ],\n  \"links\": [");
    int first = 1;
    for (int d = 0; d < count && d < 64; ++d) {
        if (!links[d].sampled) continue;
        printf("%s\n    {\"device\": %d, \"gen\": %u, \"width\": %u, \"max_gen\": %u, \"max_width\": %u, "
               "\"under_load\": true, \"source\": \"nvml\"}",
               first ? "" : ",", d, links[d].gen, links[d].width, links[d].max_gen, links[d].max_width);
        first = 0;
    }
    printf("\n  ],\n  \"nvml\": {\"loaded\": %s, \"error\": ", nvml.loaded ? "true" : "false");
    if (nvml.error) json_string(nvml.error); else printf("null");
    printf("}\n}\n");
    if (nvml.loaded && nvml.shutdown) nvml.shutdown();
    return failed ? 3 : 0;
}
