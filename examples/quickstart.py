"""Quickstart: load the built-in ETTh1 dataset and summarise it (offline)."""

from acmix_ts.data import load_ltsf, ltsf_split

frame = load_ltsf("ETTh1")
print(f"ETTh1: {len(frame)} hourly rows, {frame['date'].min()} .. {frame['date'].max()}")
print(frame.drop(columns="date").describe().T.round(3))
print("standard split at look-back 96:", ltsf_split("ETTh1", 96))
