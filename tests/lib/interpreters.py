"""Pick a Python interpreter that has the client modules a run needs.

The machine's python3 may be a separate build (pyenv, a venv) without
requests, while Debian's /usr/bin/python3 gets it from python3-requests;
callers list their candidates in order of preference.
"""

import json
import subprocess

_PROBE = ("import json, ssl, sys\n"
          "mods = {}\n"
          "for m in sys.argv[1:]:\n"
          "    try:\n"
          "        mods[m] = __import__(m).__version__\n"
          "    except Exception:\n"
          "        mods[m] = None\n"
          "print(json.dumps({'exe': sys.executable, 'version': sys.version.split()[0],\n"
          "                  'openssl': ssl.OPENSSL_VERSION, 'modules': mods}))\n")


def describe(interp, modules=("urllib3", "requests"), env=None):
    """(info, None) for a runnable INTERP, where info has its real
    executable (pyenv's python3 is a shell wrapper), version, OpenSSL and
    each module's version or None; (None, why) if it cannot run."""
    try:
        out = subprocess.run([interp, "-c", _PROBE, *modules], capture_output=True,
                             text=True, timeout=60, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if out.returncode != 0:
        return None, out.stderr.strip() or "exit status %d" % out.returncode
    return json.loads(out.stdout), None


def first_with(candidates, modules):
    """info of the first candidate that imports every module, else None."""
    for interp in candidates:
        info, _ = describe(interp, modules)
        if info is not None and all(info["modules"].values()):
            return info
    return None
