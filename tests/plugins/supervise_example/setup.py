"""An example third-party supervise plugin, installed by CI to test the loader.

pip install ./tests/plugins/supervise_example
"""

from setuptools import setup

setup(
    name="supervise-example",
    version="0.1.0",
    description="Example third-party plugin for supervise (tests only)",
    python_requires=">=3.11",
    py_modules=["supervise_example"],
    install_requires=["pluggy>=1.5"],
    entry_points={"supervise": ["example = supervise_example"]},
)
