"""Review of a change to synthesized CloudFormation: two cloud assemblies in, one report out.

Reads ``cdk.out`` folders as JSON only (never imports aws-cdk-lib or constructs), so it runs
wherever the two folders exist. ``review`` builds the report; ``to_markdown`` / ``to_json``
render it; ``load_policy`` decides the exit status.
"""

from .assembly import AssemblyError, load_assembly
from .core import review
from .policy import PolicyError, load_policy
from .report import MARKER, to_json, to_markdown

__all__ = ["AssemblyError", "MARKER", "PolicyError", "load_assembly", "load_policy", "review", "to_json", "to_markdown"]
