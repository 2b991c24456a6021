#!/bin/bash
# HEALTHCHECK of the sluice image: exits 0 when the node's admin endpoint
# answers GET /v1/status/ready with 200 (the quorum has a leader and the broker
# is registered, unfenced and serving clients), 1 otherwise.  Uses bash's
# /dev/tcp, so the image needs no HTTP client.  The port is taken from
# SLUICE_ADMIN_LISTENER when it is set, else 9644.
port=9644
if [ -n "${SLUICE_ADMIN_LISTENER:-}" ]; then
    port="${SLUICE_ADMIN_LISTENER##*:}"
fi
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /v1/status/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
read -r -t 5 _ code _ <&3 || exit 1
[ "$code" = 200 ]
