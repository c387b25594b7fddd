"""Database access: SQLAlchemy 2 Core over aiosqlite (or any async driver via storage.url)."""
