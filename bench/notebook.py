"""A researcher's notebook, vectorized: the static hedge of the bench year with numpy.

Long spot, short the same qty of perp, entered at the first bar's close with half the capital per
leg, held to the end: equity at every 1m close = capital - entry fees + spot PnL + perp PnL +
funding received so far (payment = -(-qty) x mark close at the settlement x rate). No margin, no
liquidation, no slippage: the baseline perpcarry's whole process is compared with in
`npm run bench` (bench/sections/backtest.ts). Reads the raw float64 files bench/fixtures.ts wrote,
writes the equity column as .npy, prints a JSON summary.

Usage: python3 bench/notebook.py <raw-dir> <out.npy>
"""
import json
import sys

import numpy as np

raw, out = sys.argv[1], sys.argv[2]
ts = np.fromfile(f"{raw}/ts.f64")
spot = np.fromfile(f"{raw}/spot_close.f64")
perp = np.fromfile(f"{raw}/perp_close.f64")
mark = np.fromfile(f"{raw}/mark_close.f64")
fts = np.fromfile(f"{raw}/funding_ts.f64")
rate = np.fromfile(f"{raw}/funding_rate.f64")

capital = 100_000.0
spot_fee, perp_fee = 0.001, 0.0005
qty = capital * 0.5 / spot[0]
close_ts = ts + 60_000.0
# Settlements after entry and up to the last close, each at the bar closing at or before it.
live = (fts > close_ts[0]) & (fts <= close_ts[-1])
at = np.searchsorted(close_ts, fts[live], side="right") - 1
flows = np.zeros_like(spot)
np.add.at(flows, at, qty * mark[at] * rate[live])
fees = qty * (spot[0] * spot_fee + perp[0] * perp_fee)
equity = capital - fees + qty * (spot - spot[0]) - qty * (perp - perp[0]) + np.cumsum(flows)
drawdown = equity / np.maximum.accumulate(equity) - 1.0
np.save(out, equity)
print(json.dumps({
    "bars": int(ts.size),
    "settlements": int(live.sum()),
    "totalReturn": float(equity[-1] / capital - 1.0),
    "funding": float(flows.sum()),
    "maxDrawdown": float(drawdown.min()),
}))
