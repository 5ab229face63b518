"""PHP: https:// streams with a CA file, a wrong CA and the default paths.

Every stream gets its own SSL_CTX.  With ssl.cafile set, PHP loads the file
into it; without it, PHP calls OpenSSL's default-path loader, which reads
SSL_CERT_FILE (or the system bundle) for every stream.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import runtime_example  # noqa: E402

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "client.php")


def client_argv(url, host, port, cafile, count):
    return ["php", "-n", CLIENT, url, cafile, str(count)]


if __name__ == "__main__":
    sys.exit(runtime_example.main(
        "php", __doc__, client_argv,
        version_argv=["php", "-n", "-r",
                      "echo 'PHP ', PHP_VERSION, ', ', OPENSSL_VERSION_TEXT, ' (headers)', \"\\n\";"]))
