"""CloudWatch metric alarms, evaluated locally."""
