#!/bin/sh
# sha256-check.sh - bench/serve's SHA-256 (the native sha256 CGI program
# given as $1) against coreutils' sha256sum, at every padding boundary
# and for large inputs, reading to EOF and CONTENT_LENGTH bytes.
#   sha256-check.sh BUILD/bench/serve/sha256-cgi
prog=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
pass=0 fail=0
for n in 0 1 3 55 56 57 63 64 65 119 120 121 127 128 4095 4096 4097 \
         65536 1000003; do
    head -c "$n" /dev/urandom > "$dir/in"
    want=$(sha256sum < "$dir/in" | cut -d' ' -f1)
    got=$("$prog" < "$dir/in" | tail -n 1)
    # CONTENT_LENGTH shorter than the input: only that prefix is hashed
    half=$((n / 2))
    want_half=$(head -c "$half" "$dir/in" | sha256sum | cut -d' ' -f1)
    got_half=$(CONTENT_LENGTH=$half "$prog" < "$dir/in" | tail -n 1)
    if [ "$got" = "$want" ] && [ "$got_half" = "$want_half" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $n bytes: got $got / $got_half, want $want / $want_half"
    fi
done
# the header block
head1=$(printf '' | "$prog" | head -n 1)
if [ "$head1" = "Content-Type: text/plain" ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: first line '$head1'"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
