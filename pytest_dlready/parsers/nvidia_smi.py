"""``nvidia-smi`` output in all the shapes people paste: table, ``-q``, ``--query-gpu`` CSV, failures.

nvidia-smi is the driver's own view: if it cannot talk to the driver nothing CUDA will
work, and when it can, it shows what slows a GPU down without any benchmark: a display
on the GPU, other processes holding its memory, a PCIe link trained below its width,
clocks held back by thermal or power reasons. The table layout changed width around
driver 535 and lost ``Persistence-M`` on Windows (``TCC/WDDM``); ``-q`` renamed ``Clocks
Throttle Reasons`` to ``Clocks Event Reasons``; CSV values carry units (``8188 MiB``,
``[N/A]``). Everything is read by label, never by column position.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from . import common

KIND = "nvidia-smi"

FAILURES: List[Tuple["re.Pattern[str]", str]] = [
    (re.compile(r"NVIDIA[- ]SMI has failed because it (?:couldn.t|could not) communicate with the NVIDIA driver", re.I),
     "no-driver"),
    (re.compile(r"Failed to initialize NVML: Driver/library version mismatch"), "version-mismatch"),
    # (also quoted: '"No devices were found"', or its bash xtrace "+ out='No devices were found'")
    (re.compile(r"^[\s\"'`“”‘’]*No devices were found|^\s*\+ \w+='No devices were found'"), "no-devices"),
    (re.compile(r"Failed to initialize NVML: (.+)"), "nvml-init"),
    (re.compile(r"Unable to (?:determine|detect) the device handle for GPU\s*(\S*): (.+)", re.I), "device-handle"),
    # (Windows' "is not recognized", in any of its languages, whatever quotes the paste put round the name, or none)
    (re.compile(r"nvidia-smi: command not found|" + common.not_recognized("nvidia-smi")), "not-found"),
    # older drivers' wordings of "no driver loaded"
    (re.compile(r"could not open the device file /dev/nvidia"), "no-driver"),
    (re.compile(r"FATAL: Module nvidia\S* not found"), "no-driver"),
    (re.compile(r"couldn't find libnvidia-ml\.so"), "nvml-init"),
    # this nvidia-smi is not the one of the loaded driver (WSL 2 with a Linux driver's nvidia-smi in the distribution)
    (re.compile(r"Mismatch in versions between nvidia-smi and NVML"), "binary-mismatch"),
]
#: the command line that ran nvidia-smi (a shell prompt or a bare command, common.is_prompt / is_command), with
#: only its arguments after the name
SMI_ARGS = re.compile(r"^(?:\.exe)?(?:\s+[-\w=,.:]{1,80}){0,8}\s*$")
#: ... and, as its next line, a crash or a refusal: nvidia-smi did not work
SMI_BROKE = re.compile(r"^\s*(?:(Floating point exception|Segmentation fault|Aborted|Bus error|Illegal instruction|Killed)\b"
                       r"|Not supported on the device|Failed to (?!initialize NVML)\w|(?:Error|ERROR)\b|Unable to \w"
                       r"|Permission denied|\S+: Permission denied)")
#: ``nvidia-smi --version`` (drivers >= ~525): under WSL the DRIVER version (Windows') differs from NVIDIA-SMI's
VERSION_LINE = re.compile(r"^\s*(NVIDIA-SMI|NVML|DRIVER|CUDA(?: UMD)?|KMD)\s+[Vv]ersion\s*:\s*(\S+)")
VERSION_KEYS = {"NVIDIA-SMI": "nvidia_smi_version", "NVML": "nvml_version", "DRIVER": "driver_version",
                "KMD": "driver_version", "CUDA": "cuda_version", "CUDA UMD": "cuda_version"}
#: R610 tables say "KMD Version" (the kernel-mode driver) and "CUDA UMD Version" (user-mode driver's CUDA)
# a version masked in a paste ("515.xx.07") still finds the header; the masked value is not a version
HEAD = re.compile(r"NVIDIA-SMI\s+([\dx.]+)\s+(?:Driver|KMD) Version:\s*([\dx.]+|N/A)"
                  r"(?:\s+CUDA (?:UMD )?Version:\s*([\d.]+|N/A|ERR!))?")
QLOG = re.compile(r"=+NVSMI LOG=+")
GPU_ROW1 = re.compile(r"^\s*\|\s*(\d+)\s+(.+?)\s+(On|Off|WDDM|TCC|MCDM|N/A)\s*\|\s*(\S+)\s+(On|Off|N/A)\s*\|\s*(.*?)\s*\|")
#: a first row cut after its first cell (a paste that stops there, an excerpt)
GPU_ROW1_CUT = re.compile(r"^\s*\|\s*(\d+)\s+([^|]+?)\s+(On|Off|WDDM|TCC|MCDM|N/A)\s*\|"
                          r"(?:\s*([0-9A-Fa-f]{1,8}(?::[0-9A-Fa-f:.]*)?)(?:\s+(\w+))?\s*\|?)?\s*$")
#: ... or cut inside its name, with no cell border after it (only as a paste's last line, after the GPU before it)
GPU_ROW_CUT_IN_NAME = re.compile(r"^\s*\|\s*(\d{1,2})\s+([A-Za-z][^|]{2,60}?)\s*$")
BUS_ID = re.compile(r"^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d$")
#: ``nvidia-smi -L``: one line per GPU, MIG devices indented under theirs
LIST_GPU = re.compile(r"^\s*GPU (\d+): (.+?) \((?:UUID|S/N): ?([^)]*)\)?\s*$")  # ")" lost in a paste: still a GPU
LIST_JOINED = re.compile(r"(?<=\))\s+(?=GPU \d+: )")
#: ``nvidia-smi -L`` of drivers before the UUID was printed (or a paste that left it out): read under its command line
LIST_GPU_BARE = re.compile(r"^\s*GPU (\d+): ([A-Za-z][^()]*?)\s*$")
LIST_COMMAND = re.compile(r"nvidia-smi(?:\.exe)?\s+(?:-L|--list-gpus)\s*$")
#: a GPU row with the table's borders taken away by hand ("0  Orin (nvgpu)" under the version line)
BARE_ROW = re.compile(r"^\s*(?:(\d{1,2})\s{2,})?((?:NVIDIA|GeForce|Tesla|Quadro|TITAN|Orin|Xavier|Jetson|RTX|GRID|[AHLBT]\d{1,4}\b)"
                      r"[^|]*?)(?:\s{2,}(?:On|Off|WDDM|TCC)\b.*)?\s*$")
#: the command's echo, then its first line (the date): a table cut before its version line
DATE_LINE = re.compile(r"^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d "
                       r"\d\d:\d\d:\d\d \d{4}\s*$")
LIST_MIG = re.compile(r"^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: ?([^)]*)\)")
#: the command line above a CSV paste: its field list is the header ``noheader`` leaves out
QUERY_COMMAND = re.compile(r"--query-gpu[= ]([\w.,]+)(?:.*?--format[= ](csv[\w,]*))?")
GPU_ROW2 = re.compile(r"^\s*\|\s*(N/A|ERR!|\d+%)\s+(N/A|ERR!|-?\d+C)\s+(P\d+|N/A|ERR!)\s+(.*?)\|\s*(\d+)MiB\s*/\s*(\d+)MiB\s*\|\s*(N/A|\d+%)\s+(.*?)\s*\|")
PROC_ROW = re.compile(r"^\s*\|\s+(\d+)\s+(?:(\S+)\s+(\S+)\s+)??(\d+)\s+(C\+G|C|G|M|M\+C)\s+(.+?)\s+(\d+MiB|N/A)\s*\|")
QLINE = re.compile(r"^(\s*)([^:]+?)\s*(?::\s*(.*))?$")
IDENT = re.compile(r"^[a-z_][a-z0-9_.]*$")


MARKERS = (("NVSMI LOG", 0.9), ("NVIDIA-SMI version", 0.8), ("NVML version", 0.3), ("NVIDIA-SMI ", 0.6), ("Driver Version", 0.2), ("Persistence-M", 0.3),
           ("Memory-Usage", 0.3), ("memory.total [MiB]", 0.8), ("memory.used [MiB]", 0.5),
           ("No devices were found", 0.5), ("Bus-Id", 0.2), ("driver_version", 0.3),
           # a -q paste that starts inside a GPU's section (no "NVSMI LOG" header)
           ("VBIOS Version  ", 0.3), ("GPU UUID  ", 0.2), ("Inforom Version", 0.2), ("GPU Operation Mode", 0.2),
           ("FB Memory Usage", 0.3), ("Minor Number  ", 0.1), ("Attached GPUs", 0.6), ("Product Name  ", 0.2),
           ("Product Brand  ", 0.2))
#: -q's count of GPUs, only -q prints it: a fragment that starts there is -q's
ATTACHED = re.compile(r"^\s*Attached GPUs\s+:\s*\d+\s*$", re.M)
#: the Processes box alone (a paste of the table's bottom), and ``nvidia-smi dmon``'s header (``\#`` when escaped
#: for markdown)
PROCESSES_BOX = re.compile(r"^\s*\|\s*Processes:\s+(?:GPU Memory\s*)?\|?\s*$")
DMON_HEAD = re.compile(r"^\s*\\?#\s*gpu\s+(?:pwr|sm)\s+\w+\s+\w+")
#: a ``--query-gpu`` CSV row without its header or command: the GPU's name first, then nvidia-smi's own values
#: (the name may come after the timestamp and the index: "2021/08/31 11:37:40.983, 0, NVIDIA GeForce RTX 3080, GPU-8fe3...")
NOHEADER_ROW = re.compile(r"^\s*(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?,\s*)?(?:\d{1,2},\s*)?"
                          r"((?:NVIDIA |GeForce |Quadro |Tesla |TITAN |GRID )[^,\[\]]{1,60}?)\s*,(?=[^\n]*"
                          r"(?:\[Not Supported\]|\[N/A\]|\d MiB|\d %|, P\d\b|\b0x[0-9A-Fa-f]{4}10DE\b|\bGPU-[0-9a-f]{8}-))"
                          r"(?:[^,\n]*,)*[^,\n]*$")  # (0x....10DE: a PCI device id, NVIDIA's vendor id in its low half)
#: the header's first field on a line of its own: "NVIDIA-SMI 418.56"
SMI_VERSION_ALONE = re.compile(r"^\s*NVIDIA-SMI\s+(\d+\.\d+(?:\.\d+)?)\s*$")
#: the first line of nvidia-smi -h: "NVIDIA System Management Interface -- v470.182.03" (the driver's version)
SMI_HELP = re.compile(r"^\s*NVIDIA System Management Interface -- v(\d+\.\d+(?:\.\d+)?)\s*$")
#: a summary written by hand from nvidia-smi's header: "Driver Version: 595.78", "CUDA Version: 13.2" on lines of
#: their own, under "GPU 0: NVIDIA Thor"
SUMMARY_VERSION = re.compile(r"^\s*(Driver|CUDA) Version\s*:\s*(\d+\.\d+(?:\.\d+)?)\s*$")


#: section and field names only ``nvidia-smi -q`` prints (a fragment of it: grep's lines, one section, one field)
Q_FIELDS = frozenset((
    "Accounting Mode", "Accounting Mode Buffer Size", "Driver Model", "Display Mode", "Display Active", "Persistence Mode",
    "Product Name", "Product Brand", "Product Architecture", "VBIOS Version", "GPU UUID", "Minor Number", "MultiGPU Board",
    "Board ID", "GPU Part Number", "Inforom Version", "Image Version", "OEM Object", "ECC Object", "Power Management Object",
    "GPU Operation Mode", "MIG Mode", "GPU Virtualization Mode", "Clocks Throttle Reasons", "Clocks Event Reasons",
    "SW Thermal Slowdown", "SW Power Cap", "HW Thermal Slowdown", "HW Power Brake Slowdown", "HW Slowdown", "Sync Boost",
    "Applications Clocks Setting", "Display Clock Setting", "Performance State", "FB Memory Usage", "BAR1 Memory Usage",
    "Compute Mode", "Clocks", "Max Clocks", "Applications Clocks", "Default Applications Clocks", "Max Customer Boost Clocks",
    "Clock Policy", "Power Readings", "GPU Power Readings", "Retired Pages", "Remapped Rows", "PCIe Generation", "Link Width",
    "GPU Link Info", "Replays Since Reset", "Tx Throughput", "Rx Throughput", "GPU Current Temp", "GPU Shutdown Temp",
    "GPU Slowdown Temp", "GPU Max Operating Temp", "Fan Speed", "Attached GPUs"))
Q_COMMAND = re.compile(r"nvidia-smi(?:\.exe)?\s+(?:-\w+\s+)*(?:-q|--query)\b(?!-)")
#: "Product Name : NVIDIA GeForce RTX 3060" on its own (``nvidia-smi -q | grep "Product Name"``)
Q_PRODUCT = re.compile(r"^\s*Product Name\s+:\s*(?:NVIDIA|GeForce|Tesla|Quadro|TITAN|GRID|RTX)\b")


def _q_fragment(lines: List[str]) -> bool:
    """A piece of ``nvidia-smi -q`` without its header: two of its own field names, or one under its command line,
    or its Product Name line alone."""
    fields = set()
    for line in lines[:2000]:
        m = QLINE.match(line) if len(line) < 200 else None
        if m and m.group(2).strip() in Q_FIELDS:
            fields.add(m.group(2).strip())
    return len(fields) >= 2 or (bool(fields) and any(Q_COMMAND.search(line) for line in lines[:50])) or \
        any(Q_PRODUCT.match(line) for line in lines[:50])


def detect(text: Any) -> float:
    text = common.to_text(text)[:200000]
    if "NVIDIA-SMI has failed" in text or "Failed to initialize NVML" in text or "<nvidia_smi_log>" in text[:5000] or \
            FAILURES[0][0].search(text[:20000]):
        return 0.95
    head = _uncolumn(common.lines_of(text[:20000])[:50])
    if any(p.search(line) for p, name in FAILURES[4:] for line in head):  # device handle, older no-driver wordings
        return 0.9
    if _broke(head):
        return 0.9
    if sum(1 for line in head if LIST_GPU.match(line)) and not any("CUDA" in line for line in head[:5]):
        return 0.9
    if any(QUERY_COMMAND.search(line) and "nvidia-smi" in line for line in head):
        return 0.9
    if any(LIST_COMMAND.search(line) for line in head) and any(LIST_GPU_BARE.match(line) for line in head):
        return 0.9
    if _table_rows(head):  # a table's GPU rows, also without its header (an excerpt, "[...]" for the top)
        return max(0.7, common.marker_score(text, MARKERS))
    if any("," in line and _csv_header(line) and len(_csv_header(line) or ()) >= 3 for line in head[:5]):
        return 0.8  # a --query-gpu CSV header of three or more query fields
    if any(PROCESSES_BOX.match(line) or DMON_HEAD.match(line) for line in head):
        return 0.7
    if any(NOHEADER_ROW.match(line) or SMI_HELP.match(line) for line in head[:5]):
        return 0.7
    if any(LIST_GPU_BARE.match(line) for line in head) and any(SUMMARY_VERSION.match(line) for line in head) and \
            any(line.strip().startswith("Driver Version") for line in head):
        return 0.7
    score = common.marker_score(text, MARKERS)
    if score < 0.6 and _q_fragment(head):
        score = 0.6
    body = [line for line in head if line.strip()]  # (a paste's doubled line ends put blank lines between)
    if score < 0.6 and any(line.rstrip().endswith("nvidia-smi") and DATE_LINE.match(nxt) and after.lstrip().startswith("+-")
                           for line, nxt, after in zip(body, body[1:], body[2:])):
        return 0.6  # the command, its date line and the top border: a table cut before anything was printed
    return score


def _broke(lines: List[str]) -> Optional[Dict[str, Any]]:
    """The error of an nvidia-smi run whose one output line is a crash or a refusal ("# nvidia-smi dmon" then
    "Not supported on the device(s)"; "# nvidia-smi" then "Floating point exception (core dumped)")."""
    body = [line for line in lines[:5000] if line.strip()]
    for line, nxt in zip(body, body[1:]):
        k = line.find("nvidia-smi") if len(line) <= 400 else -1
        if k >= 0 and SMI_ARGS.match(line[k + 10:]) and (common.is_command(line) or common.is_prompt(line)):
            m = SMI_BROKE.match(nxt)
            if m:
                return {"name": "crash" if m.group(1) else "command-failed", "message": nxt.strip()[:300]}
    return None


def _gpu() -> Dict[str, Any]:
    return {"index": None, "name": None, "bus_id": None, "memory_total_mib": None, "memory_used_mib": None,
            "pcie": {"gen_current": None, "gen_max": None, "width_current": None, "width_max": None},
            "throttle_reasons": [], "persistence_mode": None, "display_active": None, "display_mode": None,
            "compute_mode": None, "pstate": None, "driver_model": None, "temperature_c": None,
            "power_draw_w": None, "power_limit_w": None, "utilization_gpu_pct": None, "compute_cap": None,
            "ecc": None, "ecc_uncorrected": None}


def _first_row(m: "re.Match[str]") -> Dict[str, Any]:
    """A GPU from its table row's first line (GPU_ROW1, or GPU_ROW1_CUT: the same cells, cut short)."""
    groups = list(m.groups()) + [None] * (6 - len(m.groups()))
    index, name, mode, bus, display, ecc = groups[:6]
    gpu = _gpu()
    gpu.update(index=int(index), name=name.strip(),
               bus_id=bus if bus and BUS_ID.match(bus) else None,  # "N/A" on Jetson, redacted "xxxx", cut mid-id
               display_active=common.yes_no(display) if display else None,
               ecc_uncorrected=common.integer(ecc) if ecc is not None else None)
    if mode in ("WDDM", "TCC", "MCDM"):
        gpu["driver_model"] = mode
    else:
        gpu["persistence_mode"] = common.yes_no(mode)
    return gpu


def _parse_table(lines: List[str], out: Dict[str, Any]) -> List[int]:
    known: List[int] = []
    gpu: Optional[Dict[str, Any]] = None
    in_procs = False
    for i, line in enumerate(lines):
        m = HEAD.search(line)
        if m:
            out["smi_version"] = m.group(1) if "x" not in m.group(1) else None
            out["driver_version"] = m.group(2) if m.group(2) != "N/A" and "x" not in m.group(2) else None  # Jetson: N/A
            out["cuda_version"] = m.group(3) if m.group(3) not in (None, "N/A", "ERR!") else None
            known.append(i)
            continue
        if "Processes:" in line:
            in_procs = True
            known.append(i)
            continue
        m = GPU_ROW1.match(line) or GPU_ROW1_CUT.match(line)  # a paste may stop after the first cells
        if m and not in_procs:
            gpu = _first_row(m)
            out["gpus"].append(gpu)
            known.append(i)
            continue
        m = GPU_ROW2.match(line)
        if m and not in_procs:
            if gpu is None:  # an elided paste ("...") can lose the first row of a GPU
                gpu = _gpu()
                out["gpus"].append(gpu)
            power = re.findall(r"(\d+(?:\.\d+)?)W", m.group(4))
            gpu.update(temperature_c=common.integer(m.group(2)), pstate=m.group(3) if m.group(3) not in ("N/A", "ERR!") else None,
                       memory_used_mib=int(m.group(5)), memory_total_mib=int(m.group(6)),
                       utilization_gpu_pct=common.integer(m.group(7)), compute_mode=m.group(8).split()[0] if m.group(8) else None,
                       power_draw_w=float(power[0]) if len(power) == 2 else None,
                       power_limit_w=float(power[-1]) if power else None)
            gpu = None
            known.append(i)
            continue
        m = PROC_ROW.match(line)
        if m and in_procs:
            out["processes"].append({"gpu": int(m.group(1)), "pid": int(m.group(4)), "type": m.group(5),
                                     "name": m.group(6).strip(), "memory_mib": common.integer(m.group(7))})
            known.append(i)
            continue
        if line.startswith(("|", "+")) or not line.strip() or "No running processes found" in line:
            known.append(i)
    if not out["gpus"]:  # no bordered row: rows whose borders were taken away by hand, just under the version line
        head = next((i for i, line in enumerate(lines) if HEAD.search(line)), None)
        for i in range(head + 1, min(head + 8, len(lines))) if head is not None else ():
            m = BARE_ROW.match(lines[i])
            if m:
                gpu = _gpu()
                gpu.update(index=int(m.group(1)) if m.group(1) else len(out["gpus"]), name=m.group(2).strip())
                out["gpus"].append(gpu)
                known.append(i)
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), None)
    m = GPU_ROW_CUT_IN_NAME.match(lines[last]) if last is not None and out["gpus"] else None
    if m and out["gpus"][-1].get("index") == int(m.group(1)) - 1:
        # the paste's last line is the next GPU's row cut inside its name ("|   3  GeForce GTX 980"): a GPU all the same
        gpu = _gpu()
        gpu.update(index=int(m.group(1)), name=m.group(2).strip())
        out["gpus"].append(gpu)
        if last not in known:
            known.append(last)
    return known


def _q_tree(lines: List[str]) -> Tuple[List[Tuple[str, Dict[str, Any]]], List[int]]:
    """-q text -> [(bus_id, nested dict)] using indentation; top-level keys go under ''."""
    blocks: List[Tuple[str, Dict[str, Any]]] = [("", {})]
    known: List[int] = []
    stack: List[Tuple[int, Dict[str, Any]]] = [(-1, blocks[0][1])]
    for i, line in enumerate(lines):
        if not line.strip() or QLOG.search(line):
            continue
        m = re.match(r"^GPU ([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d)\s*$", line)
        if m:
            blocks.append((m.group(1), {}))
            stack = [(-1, blocks[-1][1])]
            known.append(i)
            continue
        m = QLINE.match(line)
        if not m or len(m.group(2)) > 60:
            continue
        indent, key, value = len(m.group(1)), m.group(2).strip(), m.group(3)
        while len(stack) > 1 and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value is None:
            child: Dict[str, Any] = {}
            if key not in parent:
                parent[key] = child
            stack.append((indent, parent[key] if isinstance(parent[key], dict) else child))
        else:
            parent.setdefault(key, value.strip())
        known.append(i)
    return blocks, known


def _g(tree: Dict[str, Any], *path: str) -> Any:
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _parse_q(lines: List[str], out: Dict[str, Any]) -> List[int]:
    blocks, known = _q_tree(lines)
    top = blocks[0][1]
    if len(blocks) == 1 and top.get("Product Name"):
        blocks.append(("", top))  # a fragment of one GPU's section without its "GPU 00000000:01:00.0" line
    out["driver_version"] = top.get("Driver Version")
    cuda = top.get("CUDA Version")
    out["cuda_version"] = cuda if cuda and cuda != "N/A" else None
    for index, (bus, tree) in enumerate(blocks[1:]):
        gpu = _gpu()
        link = _g(tree, "PCI", "GPU Link Info") or {}
        reasons = _g(tree, "Clocks Event Reasons") or _g(tree, "Clocks Throttle Reasons") or {}
        active: List[str] = []

        def walk(node: Dict[str, Any]) -> None:
            for key, value in node.items():
                if isinstance(value, dict):
                    walk(value)
                elif common.yes_no(value) is True and str(value).strip().lower() == "active":
                    active.append(key)
        if isinstance(reasons, dict):
            walk(reasons)
        gpu.update(
            index=index, bus_id=bus, name=tree.get("Product Name"),
            memory_total_mib=common.integer(_g(tree, "FB Memory Usage", "Total")),
            memory_used_mib=common.integer(_g(tree, "FB Memory Usage", "Used")),
            pcie={"gen_current": common.integer(_g(link, "PCIe Generation", "Current")),
                  "gen_max": common.integer(_g(link, "PCIe Generation", "Max")),
                  "width_current": common.integer(_g(link, "Link Width", "Current")),
                  "width_max": common.integer(_g(link, "Link Width", "Max"))},
            throttle_reasons=active, persistence_mode=common.yes_no(tree.get("Persistence Mode")),
            display_active=common.yes_no(tree.get("Display Active")), display_mode=common.yes_no(tree.get("Display Mode")),
            compute_mode=tree.get("Compute Mode"), pstate=tree.get("Performance State"),
            driver_model=_g(tree, "Driver Model", "Current") if _g(tree, "Driver Model", "Current") not in (None, "N/A") else None,
            temperature_c=common.integer(_g(tree, "Temperature", "GPU Current Temp")),
            power_draw_w=common.number(_g(tree, "GPU Power Readings", "Power Draw") or _g(tree, "Power Readings", "Power Draw")),
            power_limit_w=common.number(_g(tree, "GPU Power Readings", "Current Power Limit") or _g(tree, "Power Readings", "Power Limit")),
            utilization_gpu_pct=common.integer(_g(tree, "Utilization", "Gpu")),
            ecc=_g(tree, "ECC Mode", "Current"))
        procs = tree.get("Processes")
        if isinstance(procs, dict):
            for key, value in procs.items():
                if isinstance(value, dict) and "Process ID" in value:
                    out["processes"].append({"gpu": index, "pid": common.integer(value.get("Process ID")),
                                             "type": value.get("Type"), "name": value.get("Name"),
                                             "memory_mib": common.integer(value.get("Used GPU Memory"))})
        out["gpus"].append(gpu)
    out["attached_gpus"] = common.integer(top.get("Attached GPUs"))
    return known


CSV_FIELDS = {
    "index": ("index", common.integer), "name": ("name", str), "gpu_name": ("name", str),
    "memory.total": ("memory_total_mib", common.integer), "memory.used": ("memory_used_mib", common.integer),
    "driver_version": ("driver_version", str), "pstate": ("pstate", str), "compute_cap": ("compute_cap", str),
    "temperature.gpu": ("temperature_c", common.integer), "power.draw": ("power_draw_w", common.number),
    "power.limit": ("power_limit_w", common.number), "utilization.gpu": ("utilization_gpu_pct", common.integer),
    "persistence_mode": ("persistence_mode", common.yes_no), "display_active": ("display_active", common.yes_no),
    "display_mode": ("display_mode", common.yes_no), "compute_mode": ("compute_mode", str),
    "pci.bus_id": ("bus_id", str), "pcie.link.gen.current": ("pcie.gen_current", common.integer),
    "pcie.link.gen.max": ("pcie.gen_max", common.integer), "pcie.link.width.current": ("pcie.width_current", common.integer),
    "pcie.link.width.max": ("pcie.width_max", common.integer), "driver_model.current": ("driver_model", str),
    "memory.free": ("memory_free_mib", common.integer), "uuid": ("uuid", str), "serial": ("serial", str),
    "vbios_version": ("vbios_version", str), "fan.speed": ("fan_pct", common.integer),
    "enforced.power.limit": ("power_limit_w", common.number), "count": ("count", common.integer),
    "utilization.memory": ("utilization_memory_pct", common.integer), "timestamp": ("timestamp", str),
    "clocks.current.sm": ("clocks_sm_mhz", common.integer), "clocks.sm": ("clocks_sm_mhz", common.integer),
    "clocks.current.memory": ("clocks_memory_mhz", common.integer), "clocks.mem": ("clocks_memory_mhz", common.integer),
    "clocks.current.graphics": ("clocks_graphics_mhz", common.integer), "clocks.gr": ("clocks_graphics_mhz", common.integer),
    "clocks.max.sm": ("clocks_max_sm_mhz", common.integer), "clocks.max.memory": ("clocks_max_memory_mhz", common.integer),
    "clocks.max.graphics": ("clocks_max_graphics_mhz", common.integer), "temperature.memory": ("temperature_memory_c", common.integer),
    "power.max_limit": ("power_max_limit_w", common.number), "power.default_limit": ("power_default_limit_w", common.number),
    "pci.device_id": ("pci_device_id", str), "mig.mode.current": ("mig_mode", str), "ecc.mode.current": ("ecc_mode", str),
}


def _csv_header(line: str) -> Optional[List[str]]:
    body = re.sub(r"^\s*#\s*", "", line).strip()
    if "," not in body:
        field = re.sub(r"\s*\[[^\]]*\]$", "", body)
        return [field] if field in CSV_FIELDS and field not in ("name", "index", "count", "serial", "uuid") else None
    fields = [re.sub(r"\s*\[[^\]]*\]$", "", f.strip()) for f in body.split(",")]
    # a header names query fields (lower-case identifiers); a data row has names and numbers
    if not all(IDENT.match(f) for f in fields):
        return None
    return fields if sum(f in CSV_FIELDS for f in fields) >= max(1, len(fields) // 2) else None


#: the cells of a line set out in columns (two or more spaces between them; one space inside a cell: "power.draw [W]")
COLUMN_CELL = re.compile(r"\S+(?: \S+)*")


def _uncolumn(lines: List[str]) -> List[str]:
    """A ``--query-gpu`` CSV piped through ``column -s, -t``: the commas became runs of spaces, the columns aligned
    under the header's field names. Rewritten as the CSV it was, header and rows cut at the header's column starts
    (a row not aligned under them ends the table); other lines unchanged."""
    for i, line in enumerate(lines[:50]):
        if "," in line or "  " not in line.strip() or len(line) > 2000:
            continue
        cells = [(m.start(), m.group(0)) for m in COLUMN_CELL.finditer(line)]
        fields = _csv_header(", ".join(cell for _start, cell in cells)) if len(cells) >= 2 else None
        if not fields or sum(f in CSV_FIELDS for f in fields) < 2:  # (a CSV header's test, and two fields it knows)
            continue
        starts = [start for start, _cell in cells]
        out = list(lines)
        out[i] = ", ".join(cell for _start, cell in cells)
        for j in range(i + 1, min(len(lines), i + 5001)):
            row = lines[j]
            if not row.strip() or len(row) > 2000 or "," in row or any(
                    len(row) > start and (row[start - 1] != " " or row[start] == " ") for start in starts[1:]):
                break
            out[j] = ", ".join(row[a:b].strip() for a, b in zip(starts, starts[1:] + [len(row)]))
        return out
    return lines


def _query_command(lines: List[str]) -> Optional[Tuple[List[str], bool]]:
    """(fields, noheader) of a ``nvidia-smi --query-gpu=... --format=csv,noheader`` line in the paste."""
    for line in lines[:50]:
        m = QUERY_COMMAND.search(line)
        if m and "nvidia-smi" in line:
            return [f for f in m.group(1).split(",") if f], "noheader" in (m.group(2) or "")
    return None


def _parse_csv(lines: List[str], out: Dict[str, Any]) -> List[int]:
    known: List[int] = []
    seen: Dict[int, Dict[str, Any]] = {}
    stamps: List[Tuple[int, str]] = []  # (row, its timestamp) when the query has one
    header: Optional[List[str]] = None
    command = _query_command(lines)
    if command and command[1]:
        header = command[0]  # noheader: the command line names the columns
    for i, line in enumerate(lines):
        if (common.is_prompt(line) and not line.lstrip().startswith("#")) or "nvidia-smi" in line:
            continue
        fields = None if command and command[1] else _csv_header(line)
        if fields is None and command and not command[1] and \
                [re.sub(r"\s*\[[^\]]*\]$", "", f.strip()) for f in line.split(",")] == command[0]:
            fields = command[0]  # the header of the command above it, even a lone "name"
        if fields:
            header = fields
            known.append(i)
            continue
        body = re.sub(r"^\s*#\s*", "", line).strip()
        if header is None or body.count(",") != len(header) - 1:
            continue
        if len(header) == 1 and (not body or (len(body.split()) > 2 and header != ["name"]) or body.endswith(":")):
            continue  # one column: a value ("8.9", "200.00 W", "[Not Supported]"), not a sentence
        gpu = _gpu()
        for name, raw in zip(header, [v.strip().strip('"') for v in body.split(",")]):
            if name == "timestamp":
                stamps.append((len(out["gpus"]), raw[:19]))  # to the second: one sample's rows
            if name not in CSV_FIELDS or raw in ("[N/A]", "N/A", "[Not Supported]", ""):
                continue
            target, convert = CSV_FIELDS[name]
            value = convert(raw)
            if target == "driver_version":
                out["driver_version"] = value
            elif target.startswith("pcie."):
                gpu["pcie"][target[5:]] = value
            else:
                gpu[target] = value
        known.append(i)
        if gpu["index"] is None:
            gpu["index"] = len(out["gpus"])
        elif gpu["index"] in seen:  # the same GPU again: ``-l``/``--loop`` samples, not another GPU
            seen[gpu["index"]]["samples"] += 1
            continue
        gpu["samples"] = 1
        seen[gpu["index"]] = gpu
        out["gpus"].append(gpu)
    if header and "timestamp" in header and not {"index", "uuid", "pci.bus_id"} & set(header) and len(stamps) > 1:
        # a loop (-l) with no column naming the GPU: each sample prints one row per GPU at one timestamp
        per_sample: Dict[str, int] = {}
        for _row, stamp in stamps:
            per_sample[stamp] = per_sample.get(stamp, 0) + 1
        width = max(per_sample.values())
        if width < len(out["gpus"]) and len(per_sample) > 1:
            rows = len(out["gpus"])
            out["gpus"] = out["gpus"][:width]
            for gpu in out["gpus"]:
                gpu["samples"] = rows // width
    return known


XML_ROOT = re.compile(r"<nvidia_smi_log>")
#: a tag or the text between tags (linear: no nesting in the pattern, each text run read once)
XML_TOKEN = re.compile(r"<(/?)(\w+)([^<>]*?)(/?)>|([^<]+)")
XML_ID = re.compile(r"\bid=\"([^\"]*)\"")
#: (path under <gpu>, field, converter) for ``nvidia-smi -q -x``
XML_FIELDS = {
    ("product_name",): ("name", str.strip),
    ("fb_memory_usage", "total"): ("memory_total_mib", common.integer),
    ("fb_memory_usage", "used"): ("memory_used_mib", common.integer),
    ("persistence_mode",): ("persistence_mode", lambda v: common.yes_no({"Enabled": "On", "Disabled": "Off"}.get(v.strip(), v))),
    ("display_active",): ("display_active", lambda v: common.yes_no({"Enabled": "On", "Disabled": "Off"}.get(v.strip(), v))),
    ("display_mode",): ("display_mode", str.strip),
    ("compute_mode",): ("compute_mode", str.strip),
    ("performance_state",): ("pstate", str.strip),
    ("driver_model", "current_dm"): ("driver_model", str.strip),
    ("temperature", "gpu_temp"): ("temperature_c", common.integer),
    ("power_readings", "power_draw"): ("power_draw_w", common.number),
    ("gpu_power_readings", "power_draw"): ("power_draw_w", common.number),
    ("power_readings", "power_limit"): ("power_limit_w", common.number),
    ("gpu_power_readings", "current_power_limit"): ("power_limit_w", common.number),
    ("utilization", "gpu_util"): ("utilization_gpu_pct", common.integer),
}
XML_PCIE = {("pcie_gen", "current_link_gen"): "gen_current", ("pcie_gen", "max_link_gen"): "gen_max",
            ("link_widths", "current_link_width"): "width_current", ("link_widths", "max_link_width"): "width_max"}


def _parse_xml(lines: List[str], out: Dict[str, Any]) -> None:
    """``nvidia-smi -q -x``, read as a stream of tags (one per line or many, a cut paste keeps what it has).

    No XML library: a paste is rarely well-formed (cut, prompts around it), and nothing here resolves
    entities or DTDs."""
    stack: List[str] = []
    gpu: Optional[Dict[str, Any]] = None
    text = ""
    for m in XML_TOKEN.finditer("\n".join(line[:common.MAX_LINE] for line in lines)):
        closing, tag, attrs, empty, chunk = m.groups()
        if chunk is not None:
            text += chunk
            continue
        if not closing:
            text = ""
            if empty:
                continue
            stack.append(tag)
            if tag == "gpu" and stack[:1] == ["nvidia_smi_log"]:
                gpu = _gpu()
                bus = XML_ID.search(attrs or "")
                gpu.update(index=len(out["gpus"]), bus_id=bus.group(1) if bus else None)
                out["gpus"].append(gpu)
            continue
        if tag not in stack:
            continue
        value = text.strip()
        text = ""
        path = tuple(stack[stack.index("gpu") + 1:]) if "gpu" in stack else ()
        while stack and stack.pop() != tag:
            pass
        if tag == "gpu":
            gpu = None
            continue
        if value in ("N/A", "[N/A]", "Not Supported", "[Not Supported]", ""):
            continue
        if gpu is None:
            if len(stack) == 1 and tag in ("driver_version", "cuda_version"):
                out[tag] = value
            continue
        if path in XML_FIELDS:
            field, convert = XML_FIELDS[path]
            gpu[field] = convert(value)
        elif path[-2:] in XML_PCIE and "pci" in path:
            gpu["pcie"][XML_PCIE[path[-2:]]] = common.integer(value)


def _table_rows(lines: List[str]) -> bool:
    """A GPU row with its bus id: a table excerpt without its header ("[...]" for the top)."""
    return any(m and m.group(4) and BUS_ID.match(m.group(4)) for m in (GPU_ROW1.match(line) for line in lines[:5000]))


def _parse(text: str) -> Dict[str, Any]:
    lines = _uncolumn(common.lines_of(text))
    out: Dict[str, Any] = common.base_result(KIND)
    out.update({"format": None, "driver_version": None, "cuda_version": None, "gpus": [], "processes": [],
                "error": None, "unread": []})
    for i, line in enumerate(lines):
        for pattern, name in FAILURES:
            m = pattern.search(line)
            if m and out["error"] is None:
                out["error"] = {"name": name, "message": line.strip()[:300]}
                lib = re.search(r"couldn't find (lib[\w.-]+\.so[\w.]*)", line)
                if lib:
                    out["missing_libraries"] = [lib.group(1)]
    if out["error"] is None:
        out["error"] = _broke(lines)
    joined = "\n".join(lines[:5000])
    summary = {("driver_version" if m.group(1) == "Driver" else "cuda_version"): m.group(2)
               for m in (SUMMARY_VERSION.match(line) for line in lines[:50]) if m}
    if "driver_version" not in summary:
        summary = {}
    smi_alone = next((m for m in (SMI_VERSION_ALONE.match(line) for line in lines[:50]) if m), None)
    if XML_ROOT.search(joined):
        out["format"] = "xml"
        _parse_xml(lines, out)
    elif QLOG.search(joined) or ((ATTACHED.search(joined) or _q_fragment(lines)) and not HEAD.search(joined)):
        out["format"] = "query"
        _parse_q(lines, out)
        if out["gpus"] and not any(g.get("name") for g in out["gpus"]) and HEAD.search(joined):
            # a -q section that names no GPU (-d ACCOUNTING, a job's report) beside the table: the table names them
            out["gpus"] = []
            out["format"] = "table"
            _parse_table(lines, out)
    elif HEAD.search(joined) or "Persistence-M" in joined or "Memory-Usage" in joined or _table_rows(lines):
        out["format"] = "table"
        _parse_table(lines, out)
    elif sum(1 for line in lines[:5000] if LIST_GPU.match(line)) or (
            (any(LIST_COMMAND.search(line) for line in lines[:5000]) or summary) and
            any(LIST_GPU_BARE.match(line) for line in lines)):
        out["format"] = "list"
        bare = any(LIST_COMMAND.search(line) for line in lines[:5000]) or bool(summary)
        for key, value in summary.items():
            out[key] = value
        # several "GPU N: ... (UUID: ...)" joined on one line (a form field, a wrapped paste): one line each
        lines = [part for line in lines for part in (LIST_JOINED.split(line) if ") GPU " in line else [line])]
        for line in lines:
            m = LIST_GPU.match(line) or (LIST_GPU_BARE.match(line) if bare else None)
            if m:
                gpu = _gpu()
                uuid = m.group(3).strip() if m.re is LIST_GPU else ""
                gpu.update(index=int(m.group(1)), name=m.group(2).strip(), uuid=uuid or None, mig=[])
                if len(uuid) > 8 and any(g.get("uuid") == uuid and g["index"] == gpu["index"] for g in out["gpus"]):
                    continue  # the same GPU listed again (a loop, a log printed twice): one GPU
                out["gpus"].append(gpu)
                continue
            m = LIST_MIG.match(line)
            if m and out["gpus"]:
                out["gpus"][-1]["mig"].append({"profile": m.group(1), "index": int(m.group(2)), "uuid": m.group(3)})
    elif _query_command(lines) or any(_csv_header(line) and "," in line for line in lines[:50]) or (
            any(_csv_header(line) for line in lines[:3])):
        out["format"] = "csv"
        _parse_csv(lines, out)
    elif any(NOHEADER_ROW.match(line) for line in lines[:50]):
        out["format"] = "csv"
        for line in lines[:5000]:
            m = NOHEADER_ROW.match(line)
            if m:
                gpu = _gpu()
                gpu.update(index=len(out["gpus"]), name=m.group(1).strip(), samples=1)
                out["gpus"].append(gpu)
    elif summary and smi_alone:
        # the header's three fields split onto lines of their own (by hand, or by a page's narrow column)
        out["format"] = "version"
        out.update(summary)
        out["nvidia_smi_version"] = smi_alone.group(1)
    elif any(SMI_HELP.match(line) for line in lines[:20]):
        out["format"] = "version"
        out["driver_version"] = next(m.group(1) for m in (SMI_HELP.match(line) for line in lines[:20]) if m)
    elif sum(1 for line in lines[:40] if VERSION_LINE.match(line)) >= 2:
        out["format"] = "version"
        for line in lines[:40]:
            m = VERSION_LINE.match(line)
            if m:
                out[VERSION_KEYS[m.group(1)]] = m.group(2)
    elif out["error"] is not None:
        out["format"] = "error"
    if summary and out.get("driver_version") is None and out.get("cuda_version") is None:
        out.update(summary)  # the header's fields, each on a line of its own, above no table rows
    return out


parse = common.guarded(KIND, _parse)
