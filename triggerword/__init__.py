"""triggerword: the tools behind the trigger word detection workbook.

One module per job: ``params`` (fixed numbers), ``voices``/``tts``/``corpus`` (speech corpus),
``synth`` (training examples), ``model`` (model_f), ``data``/``train`` (trainer), ``evaluate``
(event scoring), ``stream`` (streaming detector), ``cli`` (the ``triggerword`` command).
"""
__version__ = "0.1.0"
