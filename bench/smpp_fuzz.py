"""A long fuzz of the SMPP codec and session: a million (or --inputs) seeded inputs, each
valid PDUs of every type (random fields within the spec's limits, random TLVs) mutated
by one to four of tests/smpp/fuzzing.py's MUTATIONS, or plain random bytes, put through
that module's checks: the codec fed whole, in random chunks and octet by octet, and
sessions of both roles, bound and not, whole and in chunks.

Run from the repository root:

    .venv/bin/python bench/smpp_fuzz.py                      # 1,000,000 inputs
    .venv/bin/python bench/smpp_fuzz.py --inputs 20000 --seed 7

Prints the count of each outcome (well-formed, invalid PDU, broken framing,
incomplete) and the time; exits 1 on the first unexpected exception (a bug), after
printing the input that caused it as hex, so it can be replayed.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.smpp.fuzzing

from tests.smpp.fuzzing import MUTATIONS, Mutation, check, mutate

from kodeord.smpp.codec import encode
from kodeord.smpp.constants import CommandId
from kodeord.smpp.pdu import (
    ALL_PDU_CLASSES,
    BODY_OMITTED_ON_ERROR,
    DistributionList,
    Pdu,
    SmeAddress,
    UnsuccessSme,
    Wire,
)
from kodeord.smpp.tlv import TLV_CSTRING_MAX, TLV_INT_SIZES, Tlv

COMMAND_IDS = [int(c) for c in CommandId]
INT_TAGS = sorted(TLV_INT_SIZES.items())
CSTRING_TAGS = sorted(TLV_CSTRING_MAX.items())


class Maker:
    """Random valid PDUs and mutations from one seeded random.Random."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fields = {
            cls: [
                (f.name, f.metadata["wire"])
                for f in dataclasses.fields(cls)
                if isinstance(f.metadata.get("wire"), Wire)
            ]
            for cls in ALL_PDU_CLASSES
        }

    def text(self, max_len: int) -> str:
        rng = self.rng
        size = rng.choice((0, 1, rng.randrange(max_len), max_len - 1))
        return "".join(chr(rng.randrange(1, 256)) for _ in range(size))

    def value(self, wire: Wire) -> Any:
        rng = self.rng
        if wire.kind == "u8":
            return rng.randrange(256)
        if wire.kind == "u32":
            return rng.choice((0, 1, rng.randrange(2**32)))
        if wire.kind == "cstr":
            return self.text(wire.max_len)
        if wire.kind == "sm":
            return rng.randbytes(rng.choice((0, rng.randrange(255), 254)))
        if wire.kind == "dests":
            return tuple(self.dest() for _ in range(rng.randrange(4)))
        smes = (UnsuccessSme(1, 1, self.text(21), rng.randrange(2**32)) for _ in range(3))
        return tuple(list(smes)[: rng.randrange(4)])

    def dest(self) -> SmeAddress | DistributionList:
        if self.rng.random() < 0.5:
            return SmeAddress(self.rng.randrange(256), self.rng.randrange(256), self.text(21))
        return DistributionList(self.text(21))

    def tlv(self) -> Tlv:
        rng = self.rng
        kind = rng.randrange(3)
        if kind == 0:
            tag, size = rng.choice(INT_TAGS)
            return Tlv(tag, rng.randrange(256**size))
        if kind == 1:
            tag, max_len = rng.choice(CSTRING_TAGS)
            return Tlv(tag, self.text(max_len))
        tag = rng.randrange(0x1400, 0x3FFF)  # vendor-specific: kept raw
        return Tlv(tag, rng.randbytes(rng.randrange(40)))

    def pdu(self) -> Pdu:
        rng = self.rng
        cls = rng.choice(ALL_PDU_CLASSES)
        status = rng.choice((0, 0, rng.randrange(256))) if cls.command_id.is_response else 0
        if status and cls.command_id in BODY_OMITTED_ON_ERROR:
            return cls(rng.randrange(2**31), status)
        body = {name: self.value(wire) for name, wire in self.fields[cls]}
        tlvs = tuple(self.tlv() for _ in range(rng.choice((0, 0, 1, 3))))
        return cls(rng.randrange(1, 2**31), status, tlvs, **body)

    def mutation(self) -> Mutation:
        rng = self.rng
        name = rng.choice(MUTATIONS)
        position = rng.randrange(2**16)
        if name == "insert":
            return name, position, rng.randbytes(rng.randrange(1, 12))
        if name == "command":
            return name, 0, rng.choice(COMMAND_IDS) if rng.random() < 0.8 else position
        if name == "length":
            return name, 0, rng.choice((rng.randrange(300), rng.randrange(2**32)))
        return name, position, rng.randrange(256)

    def stream(self) -> bytes:
        rng = self.rng
        if rng.random() < 0.1:
            return rng.randbytes(rng.randrange(200))
        data = b"".join(encode(self.pdu()) for _ in range(rng.choice((1, 1, 2, 3))))
        for _ in range(rng.randrange(1, 5)):
            data = mutate(data, self.mutation())
        return data

    def cuts(self, size: int) -> list[int]:
        return [self.rng.randrange(1, size + 2) for _ in range(self.rng.randrange(4))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    maker = Maker(args.seed)
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    for n in range(1, args.inputs + 1):
        stream = maker.stream()
        try:
            counts[check(stream, maker.cuts(len(stream)))] += 1
        except Exception:
            traceback.print_exc()
            print(f"FAILED at input {n} (seed {args.seed}): {stream.hex()}", file=sys.stderr)
            return 1
        if n % 100_000 == 0:
            print(f"{n:,} inputs, {time.perf_counter() - started:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    print(f"inputs: {args.inputs:,} (seed {args.seed}) in {seconds:.1f} s")
    for outcome, count in counts.most_common():
        print(f"  {outcome}: {count:,}")
    print("outcome: no unexpected exception")
    return 0


if __name__ == "__main__":
    sys.exit(main())
