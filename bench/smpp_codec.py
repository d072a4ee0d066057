"""Encode/decode rate of every SMPP 3.4 PDU type in kodeord.smpp.codec, plus two paths
that sum up a gateway's per-message cost: the streaming PduReader and a full
submit_sm -> submit_sm_resp exchange through two paired Sessions.

Run from the repository root:

    .venv/bin/python bench/smpp_codec.py            # about 30 s
    .venv/bin/python bench/smpp_codec.py --quick    # fewer repeats, a few seconds

Each figure is the median of `--repeat` timeit runs (each run long enough to last about
0.1 s), in microseconds per call; "k/s" is the matching rate in thousands per second.
The PDUs are realistic: a 140-octet short_message, addresses of 10-12 digits, the TLVs a
receipt or a concatenated part carries.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

from kodeord.smpp.codec import PduReader, decode, encode
from kodeord.smpp.constants import CommandStatus, EsmClass, MessageState, Tag
from kodeord.smpp.events import NEED_DATA, RequestReceived
from kodeord.smpp.pdu import (
    AlertNotification,
    BindReceiver,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    CancelSm,
    CancelSmResp,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    DistributionList,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    ReplaceSmResp,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    UnsuccessSme,
)
from kodeord.smpp.session import Session, SessionConfig
from kodeord.smpp.states import Role
from kodeord.smpp.tlv import Tlv

TEXT = b"Takk for stemmen din! Svar STOPP for aa avslutte. " * 3
MSISDN, SHORT = "4741234567", "2077"

SAMPLES: list[Pdu] = [
    BindTransceiver(1, system_id="kodeord", password="secret", system_type="SMS"),
    BindTransmitter(1, system_id="kodeord", password="secret"),
    BindReceiver(1, system_id="kodeord", password="secret"),
    BindTransmitterResp(1, tlvs=(Tlv(Tag.SC_INTERFACE_VERSION, 0x34),), system_id="SMSC"),
    BindTransceiverResp(1, system_id="SMSC"),
    Outbind(1, system_id="SMSC", password="secret"),
    SubmitSm(
        2,
        source_addr_ton=3,
        source_addr=SHORT,
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr=MSISDN,
        registered_delivery=1,
        short_message=TEXT[:140],
    ),
    SubmitSm(
        3,
        source_addr=SHORT,
        destination_addr=MSISDN,
        esm_class=EsmClass.UDHI,
        short_message=TEXT[:140],
        tlvs=(Tlv(Tag.SAR_MSG_REF_NUM, 7), Tlv(Tag.SAR_TOTAL_SEGMENTS, 2)),
    ),
    SubmitSmResp(2, message_id="6f1c2a9e-0b7d-4c5e-9a21-3d8f4b6e7c10"),
    SubmitSmResp(2, CommandStatus.ESME_RTHROTTLED),
    SubmitMulti(
        4,
        source_addr=SHORT,
        dest_addresses=(
            SmeAddress(1, 1, MSISDN),
            SmeAddress(1, 1, "4798765432"),
            DistributionList("voters"),
        ),
        short_message=TEXT[:140],
    ),
    SubmitMultiResp(4, message_id="m-1", unsuccess_smes=(UnsuccessSme(1, 1, MSISDN, 0x0B),)),
    DeliverSm(5, source_addr=MSISDN, destination_addr=SHORT, short_message=b"PIZZA stor"),
    DeliverSm(
        6,
        source_addr=MSISDN,
        destination_addr=SHORT,
        esm_class=EsmClass.TYPE_DELIVERY_RECEIPT,
        short_message=b"id:6f1c2a9e sub:001 dlvrd:001 submit date:2501011200 "
        b"done date:2501011201 stat:DELIVRD err:000 text:Takk for stemmen",
        tlvs=(
            Tlv(Tag.RECEIPTED_MESSAGE_ID, "6f1c2a9e"),
            Tlv(Tag.MESSAGE_STATE, MessageState.DELIVERED),
        ),
    ),
    DeliverSmResp(5),
    DataSm(7, source_addr=SHORT, destination_addr=MSISDN, tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, TEXT),)),
    DataSmResp(7, message_id="d-7"),
    QuerySm(8, message_id="6f1c2a9e", source_addr=SHORT),
    QuerySmResp(8, message_id="6f1c2a9e", final_date="250101120100000+", message_state=2),
    CancelSm(9, message_id="6f1c2a9e", source_addr=SHORT, destination_addr=MSISDN),
    CancelSmResp(9),
    ReplaceSm(10, message_id="6f1c2a9e", source_addr=SHORT, short_message=TEXT[:100]),
    ReplaceSmResp(10),
    EnquireLink(11),
    EnquireLinkResp(11),
    Unbind(12),
    UnbindResp(12),
    GenericNack(13, CommandStatus.ESME_RINVCMDID),
    AlertNotification(14, source_addr=MSISDN, esme_addr=SHORT),
]


def per_call_us(func: Callable[[], object], repeat: int) -> float:
    """Median over `repeat` runs of the time per call, in microseconds."""
    timer = timeit.Timer(func)
    number, _ = timer.autorange()  # calls per run so that a run lasts >= 0.2 s
    number = max(1, number // 2)
    runs = timer.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6


def label(pdu: Pdu) -> str:
    name = type(pdu).__name__
    extra = []
    if pdu.command_status:
        extra.append("error")
    if pdu.tlvs:
        extra.append(f"{len(pdu.tlvs)} TLV")
    return f"{name} ({', '.join(extra)})" if extra else name


def codec_rows(repeat: int) -> list[tuple[str, int, float, float]]:
    rows = []
    for pdu in SAMPLES:
        data = encode(pdu)
        assert decode(data) == pdu, pdu
        enc = per_call_us(lambda pdu=pdu: encode(pdu), repeat)
        dec = per_call_us(lambda data=data: decode(data), repeat)
        rows.append((label(pdu), len(data), enc, dec))
    return rows


def reader_us(repeat: int, batch: int = 100) -> float:
    """Per-PDU cost of PduReader on a 100-submit_sm chunk, framing and decoding."""
    stream = encode(SAMPLES[6]) * batch

    def run() -> None:
        reader = PduReader()
        reader.feed(stream)
        while reader.read() is not None:
            pass

    return per_call_us(run, repeat) / batch


def session_round_trip_us(repeat: int, batch: int = 100) -> float:
    """Per-message cost of send_request, SMSC receive + respond, ESME receive."""
    config = SessionConfig(window=batch, enquire_link_interval=None, inactivity_timeout=None)
    esme, smsc = Session(Role.ESME, 0.0, config), Session(Role.SMSC, 0.0, config)
    _, data = esme.send_request(BindTransceiver(system_id="k"), 0.0)
    smsc.receive_data(data, 0.0)
    [bind] = _events(smsc)
    assert isinstance(bind, RequestReceived)
    esme.receive_data(smsc.respond(bind.pdu, system_id="s"), 0.0)
    _events(esme)
    message = SAMPLES[6]

    def run() -> None:
        out = [esme.send_request(message, 0.0)[1] for _ in range(batch)]
        smsc.receive_data(b"".join(out), 0.0)
        answers = [smsc.respond(e.pdu, message_id="m1") for e in _events(smsc)]
        esme.receive_data(b"".join(answers), 0.0)
        assert len(_events(esme)) == batch

    return per_call_us(run, repeat) / batch


def _events(session: Session) -> list[Any]:
    events = []
    while (event := session.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timeit runs per figure")
    parser.add_argument("--quick", action="store_true", help="3 runs per figure")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    print(f"Python {sys.version.split()[0]} on {platform.machine()}, median of {repeat} runs")
    print()
    print(f"{'PDU':<32} {'octets':>6} {'encode µs':>10} {'k/s':>7} {'decode µs':>10} {'k/s':>7}")
    print("-" * 77)
    for name, size, enc, dec in codec_rows(repeat):
        print(f"{name:<32} {size:>6} {enc:>10.2f} {1e3 / enc:>7.0f} {dec:>10.2f} {1e3 / dec:>7.0f}")
    print()
    reader = reader_us(repeat)
    session = session_round_trip_us(repeat)
    print(f"{'PduReader, per submit_sm':<59} {reader:>10.2f} {1e3 / reader:>7.0f}")
    print(f"{'Session submit round trip':<59} {session:>10.2f} {1e3 / session:>7.0f}")


if __name__ == "__main__":
    main()
