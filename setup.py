"""Packaging for supervise.

The built-in plugins live in the top-level ``plugins/`` folder but install
under the import name ``supervise_plugins`` so that they can never collide
with another distribution's ``plugins`` package.  They are registered through
the same ``supervise`` entry-point group that third-party plugins use.
Circular templates in ``templates/`` install as package data of
``supervise_templates``.
"""

from setuptools import find_packages, setup

BUILTIN_PLUGINS = [
    "reference = supervise_plugins.reference",
    "evaluations = supervise_plugins.evaluations",
    "hotline = supervise_plugins.hotline",
    "circulars = supervise_plugins.circulars",
    "ledgers = supervise_plugins.ledgers",
    "escalation_rules = supervise_plugins.escalation_rules",
    "accountability_rules = supervise_plugins.accountability_rules",
]

setup(
    name="supervise",
    version="0.1.0",
    description="政务服务效能监督 — supervision of government services (desktop, plugins)",
    python_requires=">=3.11",
    packages=[
        *find_packages(include=["supervise", "supervise.*"]),
        "supervise_plugins",
        "supervise_templates",
    ],
    package_dir={
        "supervise": "supervise",
        "supervise_plugins": "plugins",
        "supervise_templates": "templates",
    },
    package_data={"supervise_templates": ["*.txt", "*.md", "*.json"]},
    install_requires=[
        "peewee>=3.17",
        "pluggy>=1.5",
        "cryptography>=42",
        "openpyxl>=3.1",
        "reportlab>=4.0",
        "platformdirs>=4.0",
        "chinesecalendar>=1.11",
        "python-calamine>=0.9",
    ],
    extras_require={
        "postgres": ["psycopg2-binary>=2.9"],
        "test": [
            "pytest>=8",
            "psycopg2-binary>=2.9",
            "hypothesis>=6.100",
            "ruff>=0.6",
            "mypy>=1.10",
            "Pillow>=10",
        ],
    },
    entry_points={
        "console_scripts": ["supervise = supervise.cli.main:main"],
        "gui_scripts": ["supervise-gui = supervise.cli.main:gui_main"],
        "supervise": BUILTIN_PLUGINS,
    },
)
