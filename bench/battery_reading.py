"""What one battery reading costs: the driver's four register reads, on the twin or a board.

One reading is what the backend does every ``[battery] poll_s`` (10 s by default):
read the calibration register back (a reset chip is programmed again), then bus
voltage, shunt voltage and current: four ``read_i2c_block_data(addr, reg, 2)``.

- driver on the twin: :class:`~borne.battery.ina219.Ina219` over the emulated
  register bank and in-memory bus (Python cost only);
- baseline, in the same run: one bare ``read_i2c_block_data`` on that bus;
- monitor: :class:`~borne.battery.monitor.BatteryMonitor` folding one reading (the
  level from the curve and the debounce), as the event loop does per reading.

On a real board (``--path ina219:i2c:1:0x42``, on the box) the driver line measures
the I2C transfers. At the Raspberry Pi's default 100 kHz, one register read is about
47 bit times on the wire (START, address+W, register, repeated START, address+R, two
data bytes, STOP, with ACKs): ~0.5 ms, so ~2 ms per reading, every 10 s.

Run: ``.venv/bin/python bench/battery_reading.py [--runs 5000] [--path ina219:i2c:1:0x42]``

Figures on the development machine (x86-64, 2 vCPUs, Python 3.11, 5000 runs; median / p99):
one register read on the twin 0.002 / 0.006 ms; one reading (4 reads) 0.010 / 0.024 ms
(4.6x the baseline); the monitor 0.004 / 0.005 ms. Python's share is negligible next to
the ~2 ms a reading spends on a real 100 kHz bus.
"""

from __future__ import annotations

import argparse
import time

from _common import summary  # (importing it puts src/ on the path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--path", default="sim", help="sim, or ina219:i2c:BUS:ADDR on a box")
    args = parser.parse_args()

    from borne.battery.ina219 import REG_BUS_VOLTAGE, Ina219, Ina219Settings
    from borne.battery.monitor import BatteryMonitor, Thresholds
    from borne.battery.settings import parse_battery_path
    from borne.battery.twin import BatteryTwin

    scheme, _, argument = args.path.partition(":")
    spec = parse_battery_path(scheme, argument or None)
    if spec.scheme == "sim":
        twin = BatteryTwin(address=spec.address)
        twin.set_level(55, charging=False)
        bus = twin.bus
    else:
        from smbus2 import SMBus

        bus = SMBus(spec.bus)
    chip = Ina219(bus, spec.address, Ina219Settings())
    chip.configure()

    def timed(step) -> list[float]:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            step()
            times.append((time.perf_counter() - started) * 1000)
        return times

    baseline = timed(lambda: bus.read_i2c_block_data(spec.address, REG_BUS_VOLTAGE, 2))
    driver = timed(chip.read)
    reading = chip.read()
    monitor = BatteryMonitor(Thresholds())
    folded = timed(lambda: monitor.reading(reading.bus_mv, reading.current_ma))
    print(summary(f"baseline: one register read ({spec.scheme})", baseline))
    print(summary(f"driver: one reading, 4 reads ({spec.scheme})", driver))
    print(summary("monitor: curve + debounce, one reading", folded))
    base = sorted(baseline)[len(baseline) // 2]
    print(f"ratio driver / baseline (medians): {sorted(driver)[len(driver) // 2] / base:.1f}x")


if __name__ == "__main__":
    main()
