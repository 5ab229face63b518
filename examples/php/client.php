<?php
// COUNT HTTPS requests through PHP's https:// stream wrapper, a new
// connection each.
//   php client.php URL CAFILE|default COUNT
// CAFILE goes in the stream context's ssl.cafile (PHP loads it into every
// new stream's SSL_CTX); "default" leaves it out, so PHP calls OpenSSL's
// default-path loader for every stream instead.
// Prints {"ok": n, "errors": {message: count}}.

[, $url, $cafile, $count] = $argv;
$ok = 0;
$errors = [];
$messages = [];

// Collect the warnings a failed stream raises instead of printing them.
set_error_handler(function ($no, $str) use (&$messages) {
    $messages[] = $str;
    return true;
});

for ($i = 0; $i < (int)$count; $i++) {
    $ssl = ["verify_peer" => true, "verify_peer_name" => true];
    if ($cafile !== "default") {
        $ssl["cafile"] = $cafile;
    }
    $ctx = stream_context_create(["ssl" => $ssl, "http" => ["timeout" => 10]]);
    $messages = [];
    $body = file_get_contents($url, false, $ctx);
    if ($body === false) {
        $key = implode(" | ", $messages) ?: "unknown error";
        $errors[$key] = ($errors[$key] ?? 0) + 1;
    } else {
        $ok++;
    }
}

echo json_encode(["ok" => $ok, "errors" => (object)$errors]), "\n";
