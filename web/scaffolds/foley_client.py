"""Minimal Foley client (standard library only). Set FOLEY_URL and FOLEY_API_KEY.

Retries 429 and 503 with exponential backoff, honouring Retry-After.
"""
import base64
import json
import os
import random
import time
import urllib.error
import urllib.request


class FoleyError(Exception):
    def __init__(self, status, code, message, request_id=None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.request_id = status, code, request_id


def generate(args, base_url=None, api_key=None, max_retries=5):
    """Returns a list of audio files (bytes): one per variant."""
    base_url = base_url or os.environ.get("FOLEY_URL", "http://127.0.0.1:8080")
    api_key = api_key or os.environ.get("FOLEY_API_KEY")
    if not api_key:
        raise RuntimeError("Set FOLEY_API_KEY (create a key on the API keys page).")
    body = json.dumps({"args": args}).encode("utf-8")
    for attempt in range(max_retries + 1):
        request = urllib.request.Request(
            f"{base_url}/v1/audio/sound_effect_generate", data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"})
        try:
            with urllib.request.urlopen(request) as response:
                payload = response.read()
                if response.headers.get("Content-Type", "").startswith("application/json"):
                    return [base64.b64decode(a) for a in json.loads(payload)["audios"]]
                return [payload]
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read())
            except ValueError:
                detail = {}
            if error.code not in (429, 503) or attempt == max_retries:
                raise FoleyError(error.code, detail.get("code", "HTTP"), detail.get("message", error.reason),
                                 detail.get("request_id")) from None
            retry_after = error.headers.get("Retry-After")
            delay = float(retry_after) if retry_after and retry_after.isdigit() else min(30, 0.5 * 2 ** attempt)
            time.sleep(delay * (1 if retry_after else random.uniform(0.5, 1.0)))
    raise AssertionError("unreachable")


if __name__ == "__main__":
    clips = generate({"prompt": "heavy wooden door creaks open, then slams", "seed": 42})
    with open("door.wav", "wb") as f:
        f.write(clips[0])
    print("wrote door.wav")
