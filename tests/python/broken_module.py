raise RuntimeError("broken at import time")
