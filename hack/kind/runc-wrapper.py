#!/usr/bin/python3
# dockerd's runtime on this bed: runc, minus the capabilities this machine cannot grant.
#
# `docker run --privileged` (kind always uses it) asks for every capability Docker knows; where the
# host's capability bounding set lacks one (CAP_SYS_RESOURCE on the machines this bed was built on),
# runc fails with "unable to apply caps: operation not permitted". This wrapper drops, from the
# bundle's config.json (create, run) or the exec's process.json (exec), every capability outside the
# bounding set of the calling process, then execs the real runc. It can go when the machine grants
# the full set. Installed by hack/kind/dockerd.sh as dockerd's default runtime.
import json, os, sys

REAL = os.environ.get("PALISADE_REAL_RUNC", "/usr/sbin/runc")
NAMES = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
         "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
         "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
         "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
         "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
         "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]


def missing():
    with open("/proc/self/status") as f:
        bnd = next(int(l.split()[1], 16) for l in f if l.startswith("CapBnd:"))
    return {"CAP_" + n for i, n in enumerate(NAMES) if not bnd >> i & 1}


def strip(path, is_process):
    gone = missing()
    if not gone or not os.path.exists(path):
        return
    with open(path) as f:
        spec = json.load(f)
    proc = spec if is_process else spec.get("process", {})
    caps = proc.get("capabilities") or {}
    for kind in list(caps):
        caps[kind] = [c for c in caps[kind] if c not in gone]
    with open(path + ".tmp", "w") as f:
        json.dump(spec, f)
    os.replace(path + ".tmp", path)


def value(args, *flags):
    for i, a in enumerate(args):
        for fl in flags:
            if a == fl and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(fl + "="):
                return a[len(fl) + 1:]
    return None


args = sys.argv[1:]
if "create" in args or "run" in args:
    strip(os.path.join(value(args, "--bundle", "-b") or ".", "config.json"), False)
elif "exec" in args:
    p = value(args, "--process", "-p")
    if p:
        strip(p, True)
os.execv(REAL, [REAL] + args)
