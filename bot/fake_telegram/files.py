"""Files the bot uploaded or referenced, addressable by file_id like on Telegram."""

from __future__ import annotations

import hashlib
import mimetypes
import struct

from .models import JsonDict, StoredFile, bad_request
from .validation import Upload

PHOTO_MAX = 10 * 1024 * 1024
DOCUMENT_MAX = 50 * 1024 * 1024
# A valid 1x1 PNG, used for photos that users send in scenarios.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF")
_PREFIX = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI"}


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG; other formats get a plausible camera size."""
    if data.startswith(_IMAGE_MAGIC[0]) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 1280, 960


class FileStore:
    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self._counter = 0

    def _ids(self, kind: str) -> tuple[str, str]:
        self._counter += 1
        digest = hashlib.sha1(f"{kind}:{self._counter}".encode()).hexdigest()
        return f"{_PREFIX[kind]}{self._counter:05d}{digest[:24]}", f"AQAD{digest[24:36]}"

    def add(self, kind: str, data: bytes | None, filename: str | None = None) -> StoredFile:
        file_id, unique_id = self._ids(kind)
        stored = StoredFile(file_id, unique_id, kind, data, filename)
        if filename:
            stored.mime_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if kind == "photo" and data is not None:
            stored.width, stored.height = image_size(data)
        self.files[file_id] = stored
        return stored

    def accept(self, kind: str, value: Upload | str) -> StoredFile:
        """Resolve an InputFile-or-String parameter as Telegram would, or raise 400."""
        if isinstance(value, Upload):
            return self._accept_upload(kind, value)
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self.add(kind, None, name if kind == "document" else None)
        stored = self.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored

    def _accept_upload(self, kind: str, upload: Upload) -> StoredFile:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if len(upload.data) > PHOTO_MAX:
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            if not upload.data.startswith(_IMAGE_MAGIC):
                raise bad_request("IMAGE_PROCESS_FAILED")
            return self.add("photo", upload.data, upload.filename)
        if len(upload.data) > DOCUMENT_MAX:
            raise bad_request("file is too big")
        return self.add("document", upload.data, upload.filename)

    @staticmethod
    def photo_sizes(stored: StoredFile) -> list[JsonDict]:
        """Telegram returns a photo as several sizes; the double returns a thumbnail and the
        original, both pointing at the same stored bytes' file_id for the original."""
        size = len(stored.data) if stored.data is not None else 0
        scale = min(1.0, 90 / max(stored.width, stored.height, 1))
        thumb = {
            "file_id": stored.file_id + "_s",
            "file_unique_id": stored.file_unique_id + "s",
            "width": max(1, round(stored.width * scale)),
            "height": max(1, round(stored.height * scale)),
        }
        full = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": stored.width,
            "height": stored.height,
            "file_size": size,
        }
        return [thumb, full]

    @staticmethod
    def document(stored: StoredFile) -> JsonDict:
        data: JsonDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.filename:
            data["file_name"] = stored.filename
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        if stored.data is not None:
            data["file_size"] = len(stored.data)
        return data

    def get(self, file_id: str) -> StoredFile | None:
        return self.files.get(file_id) or self.files.get(file_id.removesuffix("_s"))
