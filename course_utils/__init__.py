"""Plumbing for the VGG course: data, models, inspection, training, widgets, figures.

The notebooks teach; this package holds what they would otherwise paste twice.
Import the submodule you need (``from course_utils.models import vgg``); this file
only re-exports the few names every notebook uses.
"""

from .messages import (CourseError, LanguageError, get_lang, pick, set_lang,
                       show_errors_briefly)
from .models import VGG11, VGG13, VGG16, VGG19, scale_arch, vgg, vgg_block

__all__ = ["CourseError", "LanguageError", "get_lang", "pick", "set_lang", "show_errors_briefly",
           "VGG11", "VGG13", "VGG16", "VGG19", "scale_arch", "vgg", "vgg_block"]
