"""Custom actions of the assistant (rasa-sdk), one module per concern."""
from bot.security.secrets import install_log_masking

install_log_masking()  # logs of the action server never carry ID numbers, phones or OTPs
