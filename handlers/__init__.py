"""Telegram update handlers: thin adapters from updates to calls into the application."""
