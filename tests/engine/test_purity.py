import subprocess
import sys


def test_the_engine_and_bank_import_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, naas.engine.items, naas.engine.assembly, naas.bank; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'werkzeug')]; "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"pure core imported: {result.stdout}{result.stderr}"
