#!/usr/bin/env bash
# make demo: the simulated pad on (emulated) USB, driven by a small libusb
# client: half a minute of heating, then cooling, in model time at 20x.
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
echo "thermopad demo: a simulated pad, reached through the real libusb"
echo "heating at 60 % for 30 s of model time, then cooling at full drive for 60 s (time scale 20)"
echo
"$build/thermopad-sim" --time-scale 20 -- bash -c '
	set -e
	"$0/tpstream" --drive 0.6 --seconds 30 | awk "/^seq=/ && NR % 10 == 1 || !/^seq=/"
	echo
	"$0/tpstream" --drive -1.0 --seconds 60 | awk "/^seq=/ && NR % 20 == 1 || !/^seq=/"
	echo
	echo "true state of the model at the end:"
	"$0/thermopad-sim" --ctl "$TP_SIM_CONTROL" truth | tr " " "\n" | grep -E "^(time_s|plate_c|tissue_c|sink_c|fw_state)="
' "$build"
echo
echo "demo finished"
