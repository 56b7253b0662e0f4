"""The steps a recorded command goes through, one module each, in the order of ``steps``:
parse -> policy -> room -> targets -> rank -> plan -> run -> reply. ``resolve`` reads the
policy's e-mail entries on each platform; ``desk`` is what the steps share. No module here
names a command or a platform."""
