"""The mutually authenticated HTTPS API for billing software, its event stream and SDK
(API issue). Empty for now."""
