"""A bare Flask hello world: the ceiling the bench compares every endpoint with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
