"""The edipulse command line."""
