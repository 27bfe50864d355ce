"""What a faction's command says: the one place where a planner's options and decisions become
the narrative's sentences ("Russian forces' command sends convoy R2 (120 fighters) toward Albu
Kamal crossing: ..."). Each kind of option (agents/planner_options.py) has its action ("sends
convoy R2 (120 fighters) toward X") and its reason (the score's terms), rendered from the
option's `terms`; numbers are rounded here, never in the options.
"""

from __future__ import annotations


def _convoy_reason(t: dict) -> str:
    held = (f"{t['place']} is held by {t['holder']}" if t["holder"] is not None
            else f"{t['place']} is not held by anyone")
    reason = (f"{held}, {t['opposition']:.0f} rival fighters within {t['within_km']:g} km; tension "
              f"{t['tension']:.1f} of {t['escalate_at']:g}")
    if t["blocked_by"]:
        reason += f"; the last convoy there was turned back by {t['blocked_by']:.0f}"
    return reason + f" (score {t['score']:.2f})"


#: kind → (its action, its reason), each a function of the option's terms
WORDING = {
    "convoy": (lambda t: f"sends convoy {t['label']} ({t['strength']:.0f} fighters) toward {t['place']}",
               _convoy_reason),
    "convoy_too_weak": (lambda t: f"sends a convoy toward {t['place']}",
                        lambda t: f"only {t['muster']:.0f} fighters can leave {t['base']}, a convoy needs "
                                  f"{t['wanted']:.0f}"),
    "road_denied": (lambda t: (f"sends a convoy toward {t['place']}" if t["column"] == "convoy"
                               else f"reinforces {t['place']}"),
                    lambda t: f"{t['by']} turned its last one back at {t['at']}; the road is taken up between the "
                              f"commands for {t['days_left']:.0f} more days"),
    "reinforce": (lambda t: f"reinforces {t['place']} with column {t['label']} ({t['need']:.0f} fighters)",
                  lambda t: f"{t['threat']:.0f} rival fighters within {t['within_km']:g} km against {t['own']:.0f} of "
                            f"its own and allies' ({t['ratio']:.1f} : 1; score {t['score']:.2f})"),
    "withdraw": (lambda t: f"withdraws its post at {t['place']} ({t['post']:.0f} fighters) to {t['base']}",
                 lambda t: f"{t['hostile']:.0f} hostile fighters near it against {t['own']:.0f} of its own and "
                           f"allies', past {t['break_ratio']:g} : 1 (score {t['score']:.2f})"),
    "co_opt": (lambda t: f"funds a co-optation push ({t['usd_per_day']:.0f} US$ a day)",
               lambda t: f"{t['targets']} local militia units of its rivals on the map; a convoy was turned back "
                         f"{t['days_since_setback']:.0f} days ago (score {t['score']:.2f})"),
    "strike": (lambda t: f"{'calls strikes on' if t['hostile'] else 'stops its strikes on'} {t['target']}",
               lambda t: f"it is {'now hostile to' if t['hostile'] else 'no longer fighting'} them"),
    "checkpoint": (lambda t: f"sets up its checkpoints at {', '.join(t['at'])}",
                   lambda t: f"{', '.join(t['moving'])} moving toward them"),
}


def action_text(kind: str, terms: dict) -> str:
    """What an option of `kind` does, for the log."""
    return WORDING[kind][0](terms)


def reason_text(kind: str, terms: dict) -> str:
    """Why: the option's score terms, for the log."""
    return WORDING[kind][1](terms)


def decision_text(command: str, option) -> str:
    """The log line of a decision: "<command> <action>: <reason>"."""
    return f"{command} {option.action}: {option.reason}"


def wait_text(command: str, best) -> str:
    """The log line of a wait, naming the best option turned down (None: there was none)."""
    if best is None:
        return f"{command} waits: nothing to do"
    return f"{command} waits rather than {best.action.split(' (')[0]}: {best.reason}"


def chosen_text(command: str, by: str, option) -> str:
    """The log line of an option chosen from outside the planner (`by`, e.g. "team Falcons"; a
    class session, sim/app/session.py); None or an option that cannot be carried out: a wait."""
    if option is None:
        return f"{command} ({by}) waits"
    if option.act is None:
        return f"{command} ({by}) waits rather than {option.action}: {option.reason}"
    return f"{command} ({by}) {option.action}: {option.reason}"
