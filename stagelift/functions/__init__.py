"""Code that runs in AWS Lambda at deploy time (one folder per function, bundled as its asset)."""
