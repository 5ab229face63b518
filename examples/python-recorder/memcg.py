"""A memory cgroup for one command: the kernel enforces the limit, as it does
for a container's memory limit.

    with MemoryCgroup("recorder-without", 256 * 1048576) as cg:
        subprocess.run(argv, preexec_fn=cg.enter_in_child)
        cg.verdict()   # {"peak_bytes", "oom_kills", ...}

cgroup v2 (one unified hierarchy): memory.max, memory.swap.max 0,
memory.peak, memory.events oom_kill.  cgroup v1 (a "memory" hierarchy):
memory.limit_in_bytes (and memory.memsw.limit_in_bytes, so nothing is
swapped instead), memory.max_usage_in_bytes, memory.oom_control oom_kill.
The group is made under this process's own memory cgroup (what a delegated
subtree allows), else at the top of the hierarchy, and removed afterwards.
MemoryCgroup.create raises CgroupUnavailable if none can be made (no
controller, not root, read-only /sys/fs/cgroup).
"""

import os
import time

ROOT = "/sys/fs/cgroup"


class CgroupUnavailable(Exception):
    pass


def _read(path):
    with open(path, encoding="ascii") as f:
        return f.read()


def _write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def _keyed(path):
    """'key value' lines (memory.events, memory.oom_control) as a dict."""
    out = {}
    for line in _read(path).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def _own_path(controller):
    """This process's cgroup path in the hierarchy holding CONTROLLER
    ("" for the v2 unified one)."""
    for line in _read("/proc/self/cgroup").splitlines():
        num, ctrls, path = line.split(":", 2)
        if controller == "" and num == "0" and ctrls == "":
            return path
        if controller and controller in ctrls.split(","):
            return path
    return None


def _v2_parents():
    own = _own_path("")
    if own is None or not os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
        return []
    return [os.path.join(ROOT, own.lstrip("/")), ROOT]


def _v1_parents():
    top = os.path.join(ROOT, "memory")
    if not os.path.exists(os.path.join(top, "memory.limit_in_bytes")):
        return []
    own = _own_path("memory")
    cands = [os.path.join(top, own.lstrip("/"))] if own not in (None, "/") else []
    return cands + [top]


class MemoryCgroup:
    def __init__(self, name, limit_bytes):
        self.name = "%s-%d" % (name, os.getpid())
        self.limit = limit_bytes
        self.path = None
        self.version = None

    # ------------------------------------------------------------ set-up
    def create(self):
        errors = []
        for version, parents in ((2, _v2_parents()), (1, _v1_parents())):
            for parent in parents:
                path = os.path.join(parent, self.name)
                try:
                    os.mkdir(path)
                except OSError as e:
                    errors.append("%s: %s" % (path, e.strerror))
                    continue
                try:
                    self._limit(version, path)
                except OSError as e:
                    errors.append("%s: %s" % (path, e.strerror or e))
                    self._rmdir(path)
                    continue
                self.path, self.version = path, version
                return self
        raise CgroupUnavailable("; ".join(errors) or "no memory cgroup controller mounted")

    def _limit(self, version, path):
        if version == 2:
            if not os.path.exists(os.path.join(path, "memory.max")):
                raise OSError("the memory controller is not enabled for %s" % os.path.dirname(path))
            _write(os.path.join(path, "memory.max"), str(self.limit))
            if os.path.exists(os.path.join(path, "memory.swap.max")):
                _write(os.path.join(path, "memory.swap.max"), "0")
            return
        _write(os.path.join(path, "memory.limit_in_bytes"), str(self.limit))
        memsw = os.path.join(path, "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw):  # memory + swap: no escape into swap
            _write(memsw, str(self.limit))
        _write(os.path.join(path, "memory.oom_control"), "0")  # the OOM killer stays on

    def enter_in_child(self):
        """preexec_fn: move the child (before exec) into the group."""
        _write(os.path.join(self.path, "cgroup.procs"), str(os.getpid()))

    def describe(self):
        return "cgroup v%d %s, limit %d MiB" % (self.version, self.path, self.limit >> 20)

    # ------------------------------------------------------------ results
    def verdict(self):
        """The group's own counters: peak usage and OOM kills."""
        if self.version == 2:
            peak_file = os.path.join(self.path, "memory.peak")
            peak = int(_read(peak_file)) if os.path.exists(peak_file) else None
            kills = _keyed(os.path.join(self.path, "memory.events")).get("oom_kill", 0)
        else:
            peak = int(_read(os.path.join(self.path, "memory.max_usage_in_bytes")))
            kills = _keyed(os.path.join(self.path, "memory.oom_control")).get("oom_kill", 0)
        return {"cgroup": "v%d" % self.version, "limit_bytes": self.limit,
                "peak_bytes": peak, "oom_kills": kills}

    # ------------------------------------------------------------ removal
    @staticmethod
    def _rmdir(path):
        # A killed process can take a moment to leave the group.
        for _ in range(50):
            try:
                os.rmdir(path)
                return True
            except FileNotFoundError:
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def remove(self):
        if self.path and not self._rmdir(self.path):
            print("memcg: could not remove %s" % self.path)
        self.path = None

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.remove()
        return False
