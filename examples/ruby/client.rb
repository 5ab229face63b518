# COUNT HTTPS requests with Net::HTTP, a new connection each.
#   ruby client.rb URL CAFILE|default COUNT
# CAFILE sets Net::HTTP#ca_file (an SSL_CTX_load_verify_file per connection);
# "default" sets nothing, so the openssl library's DEFAULT_CERT_STORE is
# used: built once per process from OpenSSL's default paths.
# Prints {"ok": n, "errors": {message: count}}.
require "json"
require "net/http"
require "openssl"

url, cafile, count = ARGV
uri = URI(url)
ok = 0
errors = Hash.new(0)

count.to_i.times do
  http = Net::HTTP.new(uri.host, uri.port)
  http.use_ssl = true
  http.verify_mode = OpenSSL::SSL::VERIFY_PEER
  http.ca_file = cafile unless cafile == "default"
  http.open_timeout = 10
  http.read_timeout = 10
  begin
    http.start do |h|
      ok += 1 if h.get(uri.request_uri).code == "200"
    end
  rescue StandardError => e
    errors["#{e.class}: #{e.message}"] += 1
  end
end

puts JSON.generate({ "ok" => ok, "errors" => errors })
