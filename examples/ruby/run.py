"""Ruby: Net::HTTP with a CA file, a wrong CA and the default store.

Net::HTTP builds a new SSLContext per connection.  With ca_file set, the
openssl library loads that file into each context; without it, contexts
share the library's DEFAULT_CERT_STORE, built once per process from
OpenSSL's default paths (SSL_CERT_FILE here).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import runtime_example  # noqa: E402

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "client.rb")


def client_argv(url, host, port, cafile, count):
    return ["ruby", CLIENT, url, cafile, str(count)]


if __name__ == "__main__":
    sys.exit(runtime_example.main(
        "ruby", __doc__, client_argv,
        version_argv=["ruby", "-ropenssl", "-e",
                      "puts \"#{RUBY_DESCRIPTION}, #{OpenSSL::OPENSSL_LIBRARY_VERSION}\""]))
