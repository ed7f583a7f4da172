"""The biennial assessment report: draft, publish frozen with checksums, share one public link."""
