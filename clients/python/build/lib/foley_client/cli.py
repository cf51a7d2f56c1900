"""Command line: ``foley-client`` or ``python -m foley_client``.

    foley-client generate "glass shatters" --seed 7 -o glass.wav
    foley-client variants "footsteps on gravel" --count 6 -o steps
    foley-client models
    foley-client integration-prompt
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional, Sequence

from . import __version__
from .client import Client, Clip
from .errors import FoleyError
from .retry import RetryPolicy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foley-client", description="Generate sound effects with the Foley API.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--base-url", help="API base URL (default: $FOLEY_BASE_URL or http://127.0.0.1:8080)")
    parser.add_argument("--api-key", help="API key (default: $FOLEY_API_KEY)")
    parser.add_argument("--deadline", type=float, default=120.0,
                        help="give up retrying after this many seconds (default 120)")
    commands = parser.add_subparsers(dest="command", required=True)

    def add_generation_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("prompt")
        sub.add_argument("--cfg", type=float)
        sub.add_argument("--seed", type=int)
        sub.add_argument("--duration", type=float)
        sub.add_argument("--negative-prompt")
        sub.add_argument("--steps", type=int)
        sub.add_argument("--format", choices=["wav", "flac"])
        sub.add_argument("--model")

    generate = commands.add_parser("generate", help="one request: one clip, or n variants")
    add_generation_options(generate)
    generate.add_argument("--n", type=int, help="variants in this request (1-4)")
    generate.add_argument("-o", "--output",
                          help="file to write (n=1; '-' for stdout) or name stem (n>=2); default foley-<seed>")

    variants = commands.add_parser("variants", help="many variants by parallel requests")
    add_generation_options(variants)
    variants.add_argument("--count", type=int, required=True)
    variants.add_argument("--concurrency", type=int, default=4)
    variants.add_argument("-o", "--output", help="name stem of the files (default foley)")

    commands.add_parser("models", help="list the loaded models (JSON)")
    commands.add_parser("integration-prompt", help="print the copy-to-prompt integration text")
    return parser


def _write_clips(clips: Sequence[Clip], stem: str) -> None:
    for clip in clips:
        path = f"{stem}-{clip.seed}.{clip.format}"
        with open(path, "wb") as file:
            file.write(clip.audio)
        print(path)


def main(argv: Optional[List[str]] = None) -> int:
    options = _parser().parse_args(argv)
    client = Client(options.api_key, options.base_url, retry=RetryPolicy(deadline=options.deadline))
    try:
        if options.command in ("generate", "variants"):
            params = {k: v for k, v in (
                ("cfg", options.cfg), ("duration", options.duration),
                ("negative_prompt", options.negative_prompt), ("steps", options.steps),
                ("format", options.format), ("model", options.model)) if v is not None}
            if options.command == "variants":
                clips = client.generate_variants(options.prompt, options.count, options.concurrency,
                                                 seed=options.seed, **params)
                _write_clips(clips, options.output or "foley")
                return 0
            clips = client.generate_clips(options.prompt, seed=options.seed, n=options.n, **params)
            if len(clips) == 1 and options.output:
                if options.output == "-":
                    sys.stdout.buffer.write(clips[0].audio)
                    sys.stdout.flush()
                else:
                    with open(options.output, "wb") as file:
                        file.write(clips[0].audio)
                    print(f"{options.output} (seed {clips[0].seed})")
                return 0
            _write_clips(clips, os.path.splitext(options.output)[0] if options.output else "foley")
            return 0
        if options.command == "models":
            print(json.dumps([m.raw for m in client.models()], indent=2))
            return 0
        if options.command == "integration-prompt":
            sys.stdout.write(client.integration_prompt())
            return 0
    except FoleyError as error:
        print(f"foley-client: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"foley-client: error: {error}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
