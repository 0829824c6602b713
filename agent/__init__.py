"""Node agent: starts and stops booked containers on one worker node.

`agent.app.create_app` builds the Flask app; `python -m agent.app` serves it.
"""

__version__ = "0.1.0"
