"""ByConsent: the public engagement platform for policing by consent."""

__version__ = "0.1.0"
