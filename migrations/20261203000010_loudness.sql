-- An audio item's integrated loudness (EBU R128, LUFS), measured when its
-- waveform is drawn; players match items' levels with it. NULL: silent or
-- not measured.
ALTER TABLE media ADD COLUMN loudness_lufs REAL;
