# BASIS with W-RSIS as the annotation network (thesis 4.6.1 at toy scale): the other images of
# the split carry labels + counts (weak labels derived from their annotations, priced by the
# budget model), W-RSIS trained on N strong images segments one instance per weak token, and
# the student RSIS trains on strong + pseudo. Compare with basis_rsis_shapes-64x64_cpu.py
# (same N, unlabeled pool): the pipeline logs the pseudo-labels' mask AP50 for both.
_base_ = ['./basis_rsis_shapes-64x64_cpu.py']
basis = dict(annotator='configs/basis/wrsis_r18-c16_shapes-64x64_cpu.py',
             weak_type='labels+counts', score_thr=0.0)
