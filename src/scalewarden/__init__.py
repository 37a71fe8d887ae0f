"""scalewarden: a security assistant for AWS Application Auto Scaling.

The package keeps a pure core (knowledge search, checks, diffs) and thin I/O edges
(boto3 collection, the database, Slack and HTTP). Imports here stay minimal so that
``scalewarden`` starts quickly from the command line.
"""

__version__ = "0.1.0"
