"""Synthetic X12 850 generator for benchmarks and load tests.

Writes one interchange (sender ZZ:ACMEMED, receiver ZZ:EDIPULSE by default) with
one functional group of N purchase orders of M PO1 lines each, in the shape of
tests/data/gateway/acme-850-4010.x12, so the files also pass mapping and
booking. The output is deterministic: the same arguments give the same bytes.
Everything is streamed to the file handle, so ``--target-bytes 1G`` needs no
more memory than one purchase order.

    python bench/gen_x12.py --pos 2000 --lines 20 -o po.x12 [--version 005010]
    python bench/gen_x12.py --target-bytes 1G --lines 20 -o big.x12
"""

from __future__ import annotations

import argparse
import re
from typing import TextIO

# (buyer part, vendor part, GTIN with a valid GS1 check digit, description, unit price) of a small
# device catalogue.
CATALOGUE = (
    ("CATH-7F-110", "CM-44810", "00812345000016", "CATHETER 7FR 110CM STERILE", "18.75"),
    ("GW-035-150", "CM-22105", "00812345000023", "GUIDEWIRE 035 150CM PTFE", "4.20"),
    ("SHTH-6F-11", "CM-31877", "00812345000030", "INTRODUCER SHEATH 6FR 11CM", "9.95"),
    ("STPC-3WAY", "CM-10442", "00812345000047", "STOPCOCK 3-WAY LUER LOCK", "0.85"),
    ("SYR-10ML-LL", "CM-50310", "00812345000054", "SYRINGE 10ML LUER LOCK", "0.32"),
)
_VERSIONS = {"004010": ("00401", "U"), "005010": ("00501", "^")}
_DATE, _TIME = "20261120", "1015"
_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


class _InterchangeWriter:
    """Writes ISA/GS up front, one 850 per :meth:`add_po`, and GE/IEA on :meth:`close`."""

    def __init__(self, fh: TextIO, version: str, sender: str, receiver: str, isa13: int) -> None:
        if version not in _VERSIONS:
            raise ValueError(f"version must be one of {sorted(_VERSIONS)}, not {version!r}")
        self._fh = fh
        self._isa13 = isa13
        self.sets = 0
        self.chars = 0
        isa12, isa11 = _VERSIONS[version]
        self._write(
            f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:15}*ZZ*{receiver:15}*{_DATE[2:]}*{_TIME}*{isa11}*{isa12}"
            f"*{isa13:09d}*0*P*>~\n"
            f"GS*PO*{sender}*{receiver}*{_DATE}*{_TIME}*{isa13}*X*{version}~\n"
        )

    def add_po(self, lines: int) -> int:
        """Append one 850 with ``lines`` PO1 lines; returns the characters written."""
        self.sets += 1
        control = f"{self.sets:04d}"
        po_number = 4500000000 + self._isa13 * 1_000_000 + self.sets
        body = [
            f"ST*850*{control}~\n",
            f"BEG*00*SA*{po_number}**{_DATE}~\n",
            "CUR*BY*USD~\nREF*DP*042~\nDTM*002*20261215~\n",
            "N1*ST*ACME MEDICAL DC WEST*92*DC-WEST~\nN3*1200 INNOVATION WAY*BLDG 4~\n",
            "N4*SAN DIEGO*CA*92121*US~\n",
            "N1*BT*ACME MEDICAL INC*92*ACME-AP~\nN3*PO BOX 5500~\nN4*MINNEAPOLIS*MN*55440*US~\n",
        ]
        for line in range(1, lines + 1):
            part, vendor, gtin, description, price = CATALOGUE[(self.sets + line) % len(CATALOGUE)]
            quantity = 10 * (1 + (self.sets * 7 + line * 3) % 50)
            body.append(f"PO1*{line}*{quantity}*EA*{price}**BP*{part}*VP*{vendor}*UK*{gtin}~\n"
                        f"PID*F****{description}~\n")
        segment_count = 13 + 2 * lines  # ST..N4 (11) + 2 per line + CTT + SE
        body.append(f"CTT*{lines}~\nSE*{segment_count}*{control}~\n")
        return self._write("".join(body))

    def close(self) -> None:
        self._write(f"GE*{self.sets}*{self._isa13}~\nIEA*1*{self._isa13:09d}~\n")

    def _write(self, text: str) -> int:
        self._fh.write(text)
        self.chars += len(text)
        return len(text)


def write_850_interchange(  # noqa: PLR0917 - positional signature agreed with the other benchmarks
    fh: TextIO,
    pos: int,
    lines: int,
    version: str = "004010",
    sender: str = "ACMEMED",
    receiver: str = "EDIPULSE",
    isa13: int = 1,
) -> int:
    """Write one interchange of ``pos`` 850s with ``lines`` lines each; returns characters written (ASCII)."""
    writer = _InterchangeWriter(fh, version, sender, receiver, isa13)
    for _ in range(pos):
        writer.add_po(lines)
    writer.close()
    return writer.chars


def write_850_to_size(  # noqa: PLR0917 - mirrors write_850_interchange
    fh: TextIO,
    target_bytes: int,
    lines: int,
    version: str = "004010",
    sender: str = "ACMEMED",
    receiver: str = "EDIPULSE",
    isa13: int = 1,
) -> int:
    """Write one interchange, adding 850s until it holds at least ``target_bytes``; returns the PO count."""
    writer = _InterchangeWriter(fh, version, sender, receiver, isa13)
    while writer.chars < target_bytes:
        writer.add_po(lines)
    writer.close()
    return writer.sets


def parse_size(text: str) -> int:
    """``"1G"`` / ``"500M"`` / ``"3MB"`` / ``"4096"`` in bytes (binary multiples)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic X12 850 interchange.")
    parser.add_argument("-o", "--output", required=True, help="file to write")
    parser.add_argument("--pos", type=int, default=2000, help="number of purchase orders")
    parser.add_argument("--lines", type=int, default=20, help="PO1 lines per purchase order")
    parser.add_argument("--version", choices=sorted(_VERSIONS), default="004010")
    parser.add_argument("--target-bytes", type=parse_size, help="keep adding POs until the file has this size")
    parser.add_argument("--sender", default="ACMEMED")
    parser.add_argument("--receiver", default="EDIPULSE")
    parser.add_argument("--isa13", type=int, default=1)
    args = parser.parse_args(argv)
    identity = {"version": args.version, "sender": args.sender, "receiver": args.receiver, "isa13": args.isa13}
    with open(args.output, "w", encoding="ascii", newline="") as fh:
        if args.target_bytes:
            count = write_850_to_size(fh, args.target_bytes, args.lines, **identity)
        else:
            write_850_interchange(fh, args.pos, args.lines, **identity)
            count = args.pos
    print(f"wrote {count} POs x {args.lines} lines to {args.output}")


if __name__ == "__main__":
    main()
