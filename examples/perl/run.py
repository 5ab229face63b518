"""Perl: IO::Socket::SSL with a CA file, a wrong CA and the default CA.

IO::Socket::SSL builds a new SSL_CTX for every socket (unless the program
shares one with SSL_reuse_ctx) and loads the CA file into it.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import runtime_example  # noqa: E402

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "client.pl")


def client_argv(url, host, port, cafile, count):
    return ["perl", CLIENT, host, str(port), cafile, str(count)]


if __name__ == "__main__":
    sys.exit(runtime_example.main(
        "perl", __doc__, client_argv,
        version_argv=["perl", "-MIO::Socket::SSL", "-MNet::SSLeay", "-e",
                      "printf qq{Perl %vd, IO::Socket::SSL %s, %s\\n}, $^V, "
                      "$IO::Socket::SSL::VERSION, Net::SSLeay::SSLeay_version(0)"]))
