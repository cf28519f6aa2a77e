"""Everything that argues: motions, stance, contentions, card cutting, briefs, rebuttals, clash, the evidence file,
export and the debate commands of the command line.

Nothing is imported here, so ``import bot.debate`` stays as cheap as ``import bot``.
"""
