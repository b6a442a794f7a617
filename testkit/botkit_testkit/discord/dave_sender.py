"""The voice server's part in DAVE (Discord's end-to-end encryption): the MLS external sender.

A DAVE group (RFC 9420 MLS, ciphersuite 2: P-256, AES-128-GCM, SHA-256) is started by the
voice server: it announces itself as the group's external sender (opcode 25) and proposes
adding each member's key package (opcode 27); one member commits, the others join by the
commit's Welcome. :class:`ExternalSender` does the server's part for ``davey`` sessions in
tests; :func:`form_group` runs the whole exchange so the sessions reach one epoch.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import davey
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MLS10 = 1  # ProtocolVersion mls10
PUBLIC_MESSAGE = 1  # WireFormat mls_public_message
BASIC = 1  # CredentialType basic
EXTERNAL = 2  # SenderType external
PROPOSAL = 2  # ContentType proposal
ADD = 1  # ProposalType add
APPEND = 0  # opcode 27's operation type: proposals to append
SIGN_LABEL = b"MLS 1.0 FramedContentTBS"


def varint(n: int) -> bytes:
    """An MLS variable-length vector's length prefix (RFC 9420 §2.1.2)."""
    if n < 1 << 6:
        return n.to_bytes(1, "big")
    if n < 1 << 14:
        return (n | 0x4000).to_bytes(2, "big")
    if n < 1 << 30:
        return (n | 0x80000000).to_bytes(4, "big")
    raise ValueError(f"an MLS vector of {n} bytes is too long")


def vector(data: bytes) -> bytes:
    """``opaque data<V>``: the bytes behind their varint length."""
    return varint(len(data)) + data


def group_id(channel_id: int) -> bytes:
    """The MLS group id of a voice channel's DAVE group: the channel id, 8 bytes big-endian."""
    return channel_id.to_bytes(8, "big")


@attrs.define
class ExternalSender:
    """The voice server as the MLS external sender of DAVE groups: signs Add proposals."""

    key: ec.EllipticCurvePrivateKey = attrs.field(
        factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    identity: bytes = b"voice-server"

    def public_key(self) -> bytes:
        """The signature key as MLS carries it: the uncompressed P-256 point."""
        return self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def package(self) -> bytes:
        """Opcode 25's payload: ``ExternalSender { signature_key<V>; Credential credential; }``."""
        return vector(self.public_key()) + BASIC.to_bytes(2, "big") + vector(self.identity)

    def sign(self, tbs: bytes) -> bytes:
        """SignWithLabel(key, "FramedContentTBS", tbs): ECDSA P-256 SHA-256, DER-encoded."""
        content = vector(SIGN_LABEL) + vector(tbs)
        return self.key.sign(content, ec.ECDSA(hashes.SHA256()))

    def add(self, channel_id: int, epoch: int, key_package: bytes) -> bytes:
        """An MLSMessage (a PublicMessage by the external sender) proposing to add
        ``key_package`` (a serialized KeyPackage) to the channel's group at ``epoch``."""
        content = (
            vector(group_id(channel_id))
            + epoch.to_bytes(8, "big")
            + EXTERNAL.to_bytes(1, "big")
            + (0).to_bytes(4, "big")  # the first (only) external sender
            + vector(b"")  # authenticated_data
            + PROPOSAL.to_bytes(1, "big")
            + ADD.to_bytes(2, "big")
            + key_package
        )
        header = MLS10.to_bytes(2, "big") + PUBLIC_MESSAGE.to_bytes(2, "big")
        return header + content + vector(self.sign(header + content))

    def proposals(self, channel_id: int, epoch: int, key_packages: Sequence[bytes]) -> bytes:
        """Opcode 27's payload after its operation type: ``MLSMessage proposal_messages<V>``."""
        return vector(b"".join(self.add(channel_id, epoch, kp) for kp in key_packages))


def form_group(
    sender: ExternalSender,
    sessions: Sequence[davey.DaveSession],
    members: Sequence[davey.DaveSession] = (),
) -> None:
    """Bring ``sessions`` into ``members``' DAVE group (or, with no members, into a new group
    of them all) at one new epoch, as the voice server would: every session gets the
    external sender, the committer (the first member, else the first session) gets the Add
    proposals of the newcomers' key packages and commits, the other members process the
    commit, the newcomers the Welcome."""
    newcomers = list(sessions) if members else list(sessions[1:])
    committer = members[0] if members else sessions[0]
    others = list(members[1:])
    for session in sessions:
        session.set_external_sender(sender.package())
    epoch = committer.epoch or 0
    packages = [s.get_serialized_key_package() for s in newcomers]
    proposals = sender.proposals(committer.channel_id, epoch, packages)
    expected = [s.user_id for s in newcomers]
    for member in others:  # each member keeps the proposals the winning commit refers to
        member.process_proposals(davey.ProposalsOperationType.append, proposals, expected)
    result = committer.process_proposals(davey.ProposalsOperationType.append, proposals, expected)
    if result is None:
        raise RuntimeError("the committer made no commit of the proposals")
    committer.process_commit(result.commit)
    for member in others:
        member.process_commit(result.commit)
    if result.welcome is None:
        raise RuntimeError("the commit welcomed nobody")
    for session in newcomers:
        session.process_welcome(result.welcome)
