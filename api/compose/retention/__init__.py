"""Retention endpoints (rules, holds, disposal, forecast)."""
