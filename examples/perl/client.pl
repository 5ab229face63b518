# COUNT HTTPS requests over IO::Socket::SSL, a new socket each.
#   perl client.pl HOST PORT CAFILE|default COUNT
# CAFILE is passed as SSL_ca_file (IO::Socket::SSL builds a new SSL_CTX per
# socket and loads it); "default" passes no CA option, so IO::Socket::SSL
# picks the CA source itself (SSL_CERT_FILE here) for every socket.
# Prints {"ok": n, "errors": {message: count}}.
use strict;
use warnings;
use IO::Socket::SSL;
use JSON::PP;

my ($host, $port, $cafile, $count) = @ARGV;
my $ok = 0;
my %errors;

for (1 .. $count) {
    my %ca = $cafile eq 'default' ? () : (SSL_ca_file => $cafile);
    my $sock = IO::Socket::SSL->new(
        PeerHost            => $host,
        PeerPort            => $port,
        Timeout             => 10,
        SSL_verify_mode     => SSL_VERIFY_PEER,
        SSL_verifycn_scheme => 'http',
        SSL_verifycn_name   => $host,
        %ca,
    );
    if (!$sock) {
        $errors{ $SSL_ERROR || "$!" }++;
        next;
    }
    print $sock "GET / HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n";
    my $response = do { local $/; <$sock> } // '';
    close $sock;
    if ($response =~ m{\AHTTP/1\.[01] 200 }) {
        $ok++;
    } else {
        $errors{'unexpected response'}++;
    }
}

print JSON::PP->new->canonical->encode({ ok => $ok, errors => \%errors }), "\n";
