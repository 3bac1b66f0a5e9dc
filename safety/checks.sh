#!/usr/bin/env bash
# The supervisor's checks by code, comma-separated, from its source: every
# code a fault can latch with (daemon/core/safety.c). The gate wants a row
# of the hazard table for each.
set -u
src=${1:-daemon/core/safety.c}
grep -oE 'latch\([^,]*, *"[a-z0-9-]+"' "$src" | sed -E 's/.*"([a-z0-9-]+)"/\1/' | sort -u | paste -sd, -
