"""The Sitrep application: settings, the composition root, the CLI, watches and digests, and
at its edge the front ends (Telegram, the local chat, the Bot API emulator)."""
