def test_assessments(open_page):
    at = open_page("qaf/ui/assessments.py")
    print([m.value for m in at.markdown][:5], [b.label for b in at.button])
    at.button(key=None) if False else None
    btn = next(b for b in at.button if b.label == "Load the example assessment")
    btn.click().run()
    print(at.exception, [s.value for s in at.success])
    at.switch_page("qaf/ui/workshop.py").run()
    print(at.exception, [r.label for r in at.radio], len(at.checkbox), [h.value for h in at.header])
